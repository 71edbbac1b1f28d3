"""The creator removes a voter in a real browser (issue 21, item 8): a voter named «..», which the browser
would resolve out of a path (even as %2E%2E), goes with one tap like anyone else."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_poll_flow import Voter, create_poll

pytestmark = pytest.mark.e2e


def test_the_creator_removes_a_voter_named_dot_dot_from_the_manage_page(live_server, page, no_dialogs):
    poll = create_poll(live_server.url)
    for name in ("..", "Аня"):
        status, _ = Voter(live_server.url).call(
            "PUT", f"/api/polls/{poll['id']}/ballot", {"name": name, "approve": [0]}
        )
        assert status == 200
    page.goto(poll["manage_url"])
    voters = page.get_by_test_id("voters")
    expect(voters.locator(".voter")).to_have_count(2)
    page.get_by_role("button", name="Убрать голос: ..").click()
    page.get_by_role("dialog").get_by_role("button", name="Убрать", exact=True).click()
    expect(voters.locator(".voter")).to_have_count(1, timeout=10_000)
    expect(voters).to_contain_text("Аня")
