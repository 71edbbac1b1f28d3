"""With ADMIN_PASSWORD set: pages send visitors to the login, the admin gets in, friends keep their links."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


@pytest.fixture
def locked_server(start_server):
    return start_server(ADMIN_PASSWORD="correct horse")


def test_visitor_is_sent_to_login_and_the_admin_gets_back_to_the_page(locked_server, page, screenshot):
    page.goto(locked_server.url + "/history")
    expect(page).to_have_url(re.compile(r"/login\?next=/history"))
    expect(page.get_by_role("heading", name="Вход для администратора")).to_be_visible()
    expect(page.locator(".banner")).to_have_count(0)  # the "site is open" banner is gone
    screenshot(page, "login")
    page.get_by_label("Пароль").fill("wrong")
    page.get_by_role("button", name="Войти").click()
    expect(page.locator(".flash--error")).to_have_text("Неверный пароль")
    page.get_by_label("Пароль").fill("correct horse")
    page.get_by_role("button", name="Войти").click()
    expect(page).to_have_url(re.compile(r"/history$"))
    expect(page.get_by_role("button", name="Выйти")).to_be_visible()


def test_a_friend_with_the_waiting_link_sees_the_lottery_without_logging_in(
    locked_server, page, browser, screenshot
):
    page.goto(locked_server.url + "/login")
    page.get_by_label("Пароль").fill("correct horse")
    page.get_by_role("button", name="Войти").click()
    # The builder with its module scripts run (they run before DOMContentLoaded): no one types earlier.
    page.wait_for_url(locked_server.url + "/", wait_until="domcontentloaded")
    for name in ("Тихая гавань", "Гавань"):
        page.get_by_label("Название").fill(name)
        page.get_by_test_id("add-movie").click()
    page.get_by_test_id("create-lottery").click()
    page.wait_for_url(re.compile(r"/l/[\w-]+$"))

    friend = browser.new_context(locale="ru-RU").new_page()
    friend.goto(page.url)
    expect(friend.get_by_role("heading", name="Ждём розыгрыша…")).to_be_visible()
    expect(friend.locator(".nav")).to_have_count(0)  # no admin navigation for visitors
    screenshot(friend, "waiting-visitor")
