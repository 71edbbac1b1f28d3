"""The owner of a stocked site, as the backup tests meet it."""

from __future__ import annotations

import pytest

from tests.backup.test_backup_commands_and_pages import sign_in
from tests.support.backup_collection import stock_collection


@pytest.fixture
def stocked_owner(make_app):
    """The signed-in owner of a stocked site (the bearer token lets stock_collection use the API)."""
    app = make_app(ADMIN_PASSWORD="correct horse", API_TOKEN="bot-token")
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = "Bearer bot-token"
    sign_in(client)
    stock_collection(client)
    return app, client
