"""/api/docs: the API reference as a page, public, with no script and nothing from outside."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_the_reference_lists_every_operation_within_the_csp(start_server, page, screenshot, no_dialogs):
    server = start_server(ADMIN_PASSWORD="pw", API_TOKEN="t")  # public even when the site is locked
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("request", lambda request: request.url.startswith(server.url) or problems.append(request.url))
    page.goto(server.url + "/api/docs")
    expect(page.get_by_role("heading", name="JSON API", exact=True)).to_be_visible()
    document = page.request.get(server.url + "/api/openapi.json").json()
    methods = {"get", "post", "put", "patch", "delete"}
    operations = sum(len(methods & set(item)) for item in document["paths"].values())
    expect(page.get_by_test_id("api-operation")).to_have_count(operations)
    create = page.locator("#post-api-lotteries")
    expect(create).to_contain_text("too_few_movies")
    expect(create).to_contain_text("только админ")
    expect(page.locator("#get-api-lotteries-lottery_id")).to_contain_text("публично")
    page.get_by_role("link", name="LotteryCreateInput").first.click()
    expect(page.locator("#schema-LotteryCreateInput")).to_be_in_viewport()
    inline_scripts = page.locator('script:not([src]):not([type="application/json"])')  # data blocks: no code
    assert inline_scripts.count() == 0 and page.locator("[style]").count() == 0
    assert problems == []  # no CSP violation, no request leaving the site
    page.goto(server.url + "/api/docs")
    screenshot(page, "api-docs")


def test_the_reference_reads_in_russian_with_code_names_as_code(start_server, page):
    server = start_server()
    page.goto(server.url + "/api/docs")
    text = page.locator("body").inner_text()
    assert "`" not in text  # code names are set as code, not wrapped in backticks
    for english in ("Create a lottery", "Not Found", "Bad Request", "array of", "in query", "| null"):
        assert english not in text
    create = page.locator("#post-api-lotteries")
    expect(create.get_by_role("heading", level=3)).to_contain_text("/api/lotteries")
    expect(create).to_contain_text("Создать лотерею")
    expect(create.locator("p code", has_text="duplicate_movie")).to_be_visible()  # named in the description
    listing = page.locator("#get-api-lotteries")
    expect(listing).to_contain_text("в строке запроса")
    expect(listing).to_contain_text("Неверный запрос")
    expect(page.get_by_role("heading", name="Лотереи", exact=False).first).to_be_visible()
