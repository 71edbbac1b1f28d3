"""A site without a password, seen by a stranger (through a proxy): locked, and the login page says why."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_a_stranger_finds_a_site_without_a_password_closed_and_told_why(live_server, browser, screenshot):
    # Chromium reaches only loopback here; the header is what a proxy in front adds for a visitor.
    context = browser.new_context(locale="ru-RU", extra_http_headers={"X-Forwarded-For": "203.0.113.7"})
    page = context.new_page()
    page.goto(live_server.url + "/history")
    expect(page).to_have_url(re.compile(r"/login\?next=/history$"))
    expect(page.get_by_role("alert")).to_contain_text("Вход закрыт")
    expect(page.locator("main")).to_contain_text("ADMIN_PASSWORD")
    expect(page.get_by_label("Пароль")).to_have_count(0)
    expect(page.locator(".banner")).to_have_count(0)  # nothing says "open" to a stranger
    screenshot(page, "login-no-password")
    context.close()


def test_the_owner_at_the_server_gets_the_open_site_with_its_banner(live_server, page):
    page.goto(live_server.url + "/history")
    expect(page).to_have_url(re.compile(r"/history$"))
    expect(page.locator(".banner")).to_contain_text("только с этого компьютера")
