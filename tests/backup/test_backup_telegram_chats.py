"""The connected Telegram chats are the group's memory: a backup carries them, a restore connects them again,
a second restore changes nothing; a bad chat entry is refused with its place; the one-time codes stay out.
A site without a connected chat writes the same file as before (no ``telegram_chats`` key)."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from movie_lottery.core.errors import InvalidInput
from movie_lottery.core.extensions import db
from movie_lottery.telegram import binding
from movie_lottery.telegram.models import BoundChat, ConnectCode
from tests.backup.test_backup_export_import import EMPTY, export_text, run_import

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _connected(app) -> list[tuple[int, str]]:
    with app.app_context():
        return [
            (c.chat_id, c.title) for c in db.session.scalars(sa.select(BoundChat).order_by(BoundChat.chat_id))
        ]


def test_a_connected_chat_is_backed_up_and_restored_and_its_code_is_not(app):
    with app.app_context():
        binding.bind_with_code(binding.new_code().code, -100777, "Кино по пятницам")
        binding.new_code()  # an unused code: operational, not the group's memory
        db.session.commit()
    text = export_text(app)
    document = json.loads(text)
    assert document["telegram_chats"] == [
        {
            "chat_id": -100777,
            "title": "Кино по пятницам",
            "bound_at": document["telegram_chats"][0]["bound_at"],
        }
    ]
    assert "digest" not in text and "startgroup" not in text
    with app.app_context():
        db.session.execute(sa.delete(BoundChat))
        db.session.execute(sa.delete(ConnectCode))
        db.session.commit()
    report = run_import(app, text)
    assert report.chats.added == 1 and "Чаты Telegram: добавлено 1" in report.describe()
    assert _connected(app) == [(-100777, "Кино по пятницам")]
    assert export_text(app) == text
    assert run_import(app, text).chats.unchanged == 1


def test_a_site_without_a_connected_chat_writes_no_chats_key(app):
    assert json.loads(export_text(app)) == EMPTY


@pytest.mark.parametrize(
    ("chat", "words"),
    [
        ({"chat_id": 0, "title": "", "bound_at": "2026-12-01T18:00:00Z"}, "chat_id"),
        ({"chat_id": "-100", "title": "", "bound_at": "2026-12-01T18:00:00Z"}, "chat_id"),
        ({"chat_id": -100, "title": "x" * 256, "bound_at": "2026-12-01T18:00:00Z"}, "title"),
        ({"chat_id": -100, "title": "", "bound_at": "вчера"}, "bound_at"),
        ({"chat_id": -100, "title": ""}, "нет поля bound_at"),
    ],
)
def test_a_bad_chat_entry_is_refused_with_its_place_and_nothing_changes(app, chat, words):
    with pytest.raises(InvalidInput) as refused:
        run_import(app, {**EMPTY, "telegram_chats": [chat]})
    assert refused.value.message.startswith("Чаты Telegram, чат №1:") and words in refused.value.message
    assert _connected(app) == []


def test_a_poll_for_the_chats_members_only_stays_so_after_a_restore(app):
    from movie_lottery.polls import service as polls
    from movie_lottery.telegram import members
    from movie_lottery.telegram.models import MembersOnlyPoll

    with app.app_context():
        poll = polls.create_poll([{"name": "Сталкер"}, {"name": "Солярис"}], verification="telegram").poll
        poll_id = poll.id
        members.restrict(poll_id)
        db.session.commit()
    text = export_text(app)
    assert json.loads(text)["telegram_members_only_polls"] == [poll_id]
    with app.app_context():
        db.session.execute(sa.delete(MembersOnlyPoll))
        db.session.commit()
    run_import(app, text)
    with app.app_context():
        assert members.members_only(poll_id)
    assert export_text(app) == text
    with pytest.raises(InvalidInput) as refused:
        run_import(app, {**EMPTY, "telegram_members_only_polls": [poll_id]})  # the file lacks that poll
    assert "нужен id голосования из этой копии" in refused.value.message
