"""«Подключить чат»: the owner's one-time, expiring startgroup link binds the group the bot is added to; the
bot greets it; a used, unknown or expired code binds nothing; the bot removed, or «Отключить», unbinds. The
bot's username comes from getMe, asked by the background worker once, never by a request."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from movie_lottery.core.extensions import db
from movie_lottery.core.models import utcnow
from movie_lottery.telegram import binding, profile
from movie_lottery.telegram.dispatcher import HOW_TO_CONNECT
from movie_lottery.telegram.models import BoundChat, ConnectCode
from movie_lottery.telegram.worker import worker_for
from tests.telegram.conftest import secret_of, start_update

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

HEADER = "X-Telegram-Bot-Api-Secret-Token"
OPEN = {"ADMIN_PASSWORD": None, "OPEN_SITE": True}
GROUP = -100777


@pytest.fixture
def owner_app(make_app, bot_config):
    return make_app(**bot_config, **OPEN)


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _post_update(app, update: dict) -> None:
    assert (
        app.test_client().post("/telegram/webhook", json=update, headers={HEADER: secret_of(app)}).status_code
        == 200
    )


def _connect_link(client) -> str:
    page = client.get("/status").get_data(as_text=True)
    client.post("/telegram/connect", data={"csrf_token": _csrf(page)})
    page = client.get("/status").get_data(as_text=True)
    return re.search(r'href="(https://t\.me/[^"]+)"', page).group(1)


def _chats(app) -> list[tuple[int, str]]:
    with app.app_context():
        return [(c.chat_id, c.title) for c in db.session.scalars(sa.select(BoundChat))]


def test_the_owner_connects_a_group_with_a_one_time_startgroup_link(owner_app, telegram):
    worker = worker_for(owner_app)
    worker.run_turn()  # learns the bot's username (getMe) and registers its commands
    client = owner_app.test_client()
    link = _connect_link(client)
    match = re.fullmatch(r"https://t\.me/kino_bot\?startgroup=([A-Za-z0-9_-]{1,64})", link)
    assert match, link
    code = match.group(1)
    assert code not in client.get("/status").get_data(as_text=True)  # shown once
    with owner_app.app_context():  # only the digest is kept
        stored = db.session.scalars(sa.select(ConnectCode)).all()
        assert [row.digest for row in stored] == [binding.digest_of(code)]

    _post_update(owner_app, start_update(1, chat_id=GROUP, text=f"/start@kino_bot {code}"))
    worker.run_turn()
    assert _chats(owner_app) == [(GROUP, "Кино по пятницам")]
    assert [(m["chat_id"], m["text"]) for m in telegram.sent("sendMessage")] == [(GROUP, binding.GREETING)]
    assert "Кино по пятницам" in client.get("/status").get_data(as_text=True)

    _post_update(owner_app, start_update(2, chat_id=-100888, text=f"/start {code}"))  # used: binds nothing
    worker.run_turn()
    assert _chats(owner_app) == [(GROUP, "Кино по пятницам")]
    assert telegram.sent("sendMessage")[-1] == {"chat_id": -100888, "text": HOW_TO_CONNECT}


def test_getme_and_the_russian_commands_are_asked_once_by_the_worker_not_by_the_page(owner_app, telegram):
    page = owner_app.test_client().get("/status").get_data(as_text=True)
    assert 'data-testid="telegram-username-unknown"' in page and "Подключить чат</button>" not in page
    assert telegram.attempts == []  # the page asked Telegram nothing
    worker = worker_for(owner_app)
    worker.run_turn()
    worker.run_turn()
    assert [call.method for call in telegram.calls].count("getMe") == 1
    assert telegram.sent("setMyCommands") == [{"commands": profile.COMMANDS}]
    assert {c["command"] for c in profile.COMMANDS} >= {"random", "add", "library"}
    assert all(re.search("[а-я]", c["description"]) for c in profile.COMMANDS)
    assert "Подключить чат</button>" in owner_app.test_client().get("/status").get_data(as_text=True)


def test_an_expired_code_binds_nothing(owner_app, telegram):
    with owner_app.app_context():
        made = binding.new_code(now=utcnow() - binding.CODE_LIFETIME - timedelta(seconds=1))
        db.session.commit()
    _post_update(owner_app, start_update(1, chat_id=GROUP, text=f"/start {made.code}"))
    worker_for(owner_app).run_turn()
    assert _chats(owner_app) == []
    assert telegram.sent("sendMessage") == [{"chat_id": GROUP, "text": HOW_TO_CONNECT}]


def _bound(app, chat_id: int = GROUP) -> None:
    with app.app_context():
        made = binding.new_code()
        assert binding.bind_with_code(made.code, chat_id, "Кино")
        db.session.commit()


def test_the_bot_removed_from_the_chat_unbinds_it(owner_app, telegram):
    _bound(owner_app)
    removed = {
        "update_id": 5,
        "my_chat_member": {
            "chat": {"id": GROUP, "type": "supergroup", "title": "Кино"},
            "from": {"id": 42, "is_bot": False, "first_name": "Аня"},
            "date": 1765000000,
            "old_chat_member": {"status": "member", "user": {"id": 123456, "is_bot": True}},
            "new_chat_member": {"status": "kicked", "user": {"id": 123456, "is_bot": True}},
        },
    }
    _post_update(owner_app, removed)
    worker_for(owner_app).run_turn(send=False)
    assert _chats(owner_app) == []


def test_the_owner_unbinds_a_chat_with_a_form_that_needs_its_csrf_token(owner_app):
    _bound(owner_app)
    client = owner_app.test_client()
    page = client.get("/status").get_data(as_text=True)
    assert client.post(f"/telegram/chats/{GROUP}/unbind").status_code in (400, 403)
    assert _chats(owner_app) == [(GROUP, "Кино")]
    answer = client.post(
        f"/telegram/chats/{GROUP}/unbind", data={"csrf_token": _csrf(page)}, follow_redirects=True
    )
    assert "Чат отключён" in answer.get_data(as_text=True)
    assert _chats(owner_app) == []


def test_connecting_a_chat_is_for_the_admin_only(make_app, bot_config):
    app = make_app(**bot_config, ADMIN_PASSWORD="pw")
    answer = app.test_client().post("/telegram/connect")
    assert answer.status_code in (302, 403)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ConnectCode)) == 0
