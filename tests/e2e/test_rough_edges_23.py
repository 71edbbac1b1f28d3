"""Issue 23's rough edges on the poll page and the library, in a browser at a phone's width (390 px)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from movie_lottery.core.extensions import db
from movie_lottery.core.models import Poll
from tests.e2e.conftest import PHONE
from tests.e2e.test_library_picks import SHELF, stock, titles
from tests.e2e.test_poll_flow import Voter, create_poll, enter_name

pytestmark = pytest.mark.e2e


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found is not None
    return found


def pass_the_deadline(server, poll_id: str) -> None:
    """The deadline passes while the page is open (the clock, not a person, closes the poll)."""
    with server.app.app_context():
        past = datetime.now(UTC) - timedelta(seconds=1)
        db.session.execute(sa.update(Poll).where(Poll.id == poll_id).values(deadline=past))
        db.session.commit()
        db.session.remove()


def test_a_ranked_ballot_on_a_phone_keeps_focus_reads_plainly_and_survives_the_deadline(
    live_server, page, screenshot, no_dialogs
):
    page.set_viewport_size(PHONE)
    poll = create_poll(
        live_server.url, method="ranked", deadline=(datetime.now(UTC) + timedelta(hours=2)).isoformat()
    )
    status, _ = Voter(live_server.url).call(
        "PUT", f"/api/polls/{poll['id']}/ballot", {"name": "Аня", "ranking": [0, 1, 2]}
    )
    assert status == 200
    own_ballot = re.compile(rf"/api/polls/{poll['id']}/ballot$")
    asked = []
    page.on("request", lambda request: asked.append(request) if own_ballot.search(request.url) else None)

    # A first visitor: the name step at once, without asking for a ballot this browser cannot have.
    page.goto(poll["poll_url"])
    expect(page.get_by_label("Имя")).to_be_visible()
    assert [request.method for request in asked] == []

    # After the name, the keyboard is on the ballot, not lost on the page.
    enter_name(page, "Дима")
    expect(page.locator("#ballot-heading")).to_be_focused()

    # Movies without a place read as movies to add, not «— Гавань +».
    unranked = page.locator("#unranked .rank-item")
    expect(unranked.first).not_to_contain_text("—")
    expect(unranked.first.get_by_role("button", name=re.compile("в порядок"))).to_have_text("+ в порядок")
    page.get_by_role("button", name="Добавить «Маяк на краю света» в порядок").click()
    page.get_by_role("button", name="Добавить «Гавань» в порядок").click()
    up = page.get_by_role("button", name="«Гавань» выше")
    expect(up).to_have_text("↑ выше")
    expect(page.get_by_role("button", name="«Гавань» ниже")).to_have_text("↓ ниже")
    for control in (
        up,
        page.get_by_role("button", name="«Маяк на краю света» ниже"),
        unranked.first.locator(".rank-item__add"),
    ):
        size = box(control)
        assert size["height"] >= 44 and size["width"] >= 44, size
    up.click()
    expect(page.locator("#ranking .rank-item__name")).to_have_text(["Гавань", "Маяк на краю света"])
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "rough23-poll-ranked-ballot")

    # The deadline passes mid-ballot: the picks stay, and the page says they were not sent.
    pass_the_deadline(live_server, poll["id"])
    page.get_by_test_id("submit-ballot").click()
    notice = page.locator("#ballot-closed")
    expect(notice).to_contain_text("Голосование закрылось, пока вы выбирали — ваш выбор не отправлен")
    expect(page.locator("#ranking .rank-item__name")).to_have_text(["Гавань", "Маяк на краю света"])
    expect(page.get_by_test_id("submit-ballot")).to_be_hidden()
    expect(page.locator("#result-winner").get_by_test_id("winner-name")).to_have_text(
        "Тихая гавань", timeout=10_000
    )
    screenshot(page, "rough23-poll-closed-mid-ballot")


def test_the_library_filter_applies_as_it_changes_and_the_counts_agree(
    live_server, page, screenshot, no_dialogs
):
    page.set_viewport_size(PHONE)
    stock(live_server)  # six movies, one of them «не предлагать»
    page.goto(live_server.url + "/library")
    expect(page.get_by_test_id("library-headline")).to_contain_text("5 фильмов")
    expect(page.get_by_test_id("library-headline")).to_contain_text("ещё 1 — «не предлагать»")
    expect(page.locator('.status-tab[data-status=""] .status-tab__count')).to_have_text("5")
    expect(page.get_by_role("button", name="Показать")).to_be_hidden()

    # Typing filters the list in place after a pause: the page, the field and its text stay.
    page.evaluate("window.stillTheSamePage = true")
    search = page.get_by_label("Найти в библиотеке")
    search.press_sequentially("сол", delay=50)
    expect(page.locator(".library-card__title")).to_have_text(["Солярис"])
    expect(page).to_have_url(re.compile(r"[?&]q=" + re.escape("%D1%81%D0%BE%D0%BB")))
    expect(search).to_be_focused()
    expect(search).to_have_value("сол")
    assert page.evaluate("window.stillTheSamePage") is True

    # A choice applies at once; a year only once it is a whole year.
    search.fill("")
    page.get_by_text("Жанр, годы, рейтинг").click()
    page.get_by_label("Жанр").select_option("драма")
    expect(page.locator(".library-card")).to_have_count(3)
    page.get_by_label("Год с").press_sequentially("197", delay=50)
    page.wait_for_timeout(800)
    expect(page.locator(".library-card")).to_have_count(3)  # «197»: still typing
    page.get_by_label("Год с").press("5")
    expect(page.locator(".library-card")).to_have_count(2)
    assert sorted(titles(page)) == ["Зеркало", "Сталкер"]
    assert page.evaluate("window.stillTheSamePage") is True
    screenshot(page, "rough23-library-filters")

    # The address holds the filter: a reload shows the same.
    page.reload()
    assert sorted(titles(page)) == ["Зеркало", "Сталкер"]
    assert len(SHELF) == 6
