"""The backup in a real browser: the admin downloads it on the library page and uploads it back (dry run)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.backup_collection import stock_collection

pytestmark = pytest.mark.e2e


@pytest.fixture
def locked_server(start_server):
    # The web backup is the signed-in admin's only (it holds every undrawn lottery's seed).
    return start_server(ADMIN_PASSWORD="correct horse", API_TOKEN="bot-token")


def test_download_the_backup_and_upload_it_back_as_a_dry_run(
    locked_server, page, screenshot, no_dialogs, tmp_path
):
    live_server = locked_server
    script = live_server.app.test_client()
    script.environ_base["HTTP_AUTHORIZATION"] = "Bearer bot-token"
    stock_collection(script)
    page.goto(live_server.url + "/login?next=/library")
    page.get_by_label("Пароль").fill("correct horse")
    page.get_by_role("button", name="Войти").click()
    expect(page).to_have_url(re.compile(r"/library$"))
    panel = page.locator("#backup")
    expect(panel.get_by_role("heading", name="Резервная копия")).to_be_visible()
    screenshot(page, "library-backup")

    with page.expect_download() as started:
        panel.get_by_test_id("backup-download").click()
    download = started.value
    assert re.fullmatch(r"movie-lottery-backup-\d{4}-\d\d-\d\d\.json", download.suggested_filename)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    exported = live_server.app.test_cli_runner().invoke(args=["library", "export"])
    assert saved.read_bytes() == exported.stdout_bytes

    panel.get_by_label("Загрузить копию").set_input_files(saved)
    expect(
        panel.get_by_role("checkbox", name=re.compile("Пробный прогон"))
    ).to_be_checked()  # the safe default
    panel.get_by_test_id("backup-upload").click()
    flash = page.locator(".flash--success")
    expect(flash).to_contain_text("Пробный прогон — ничего не записано")
    expect(flash).to_contain_text("Библиотека: добавится 0, обновится 0, без изменений 5")
    screenshot(page, "library-backup-dry-run")

    broken = tmp_path / "broken.json"
    broken.write_text("{ это не резервная копия", encoding="utf-8")
    page.locator("#backup").get_by_label("Загрузить копию").set_input_files(broken)
    page.get_by_test_id("backup-upload").click()
    expect(page.locator(".flash--error")).to_contain_text("Копия не загружена, база не изменилась")
    expect(page.locator(".flash--error")).to_contain_text("это не JSON")
    screenshot(page, "library-backup-refused")


def test_an_open_site_shows_the_owner_how_to_back_up_instead_of_the_buttons(live_server, page, screenshot):
    page.goto(live_server.url + "/library")
    panel = page.locator("#backup")
    expect(panel.get_by_test_id("backup-owner-only")).to_contain_text("flask library export")
    expect(panel.get_by_test_id("backup-download")).to_have_count(0)
    screenshot(page, "library-backup-owner-only")
    response = page.goto(live_server.url + "/library/backup.json")
    assert response.status == 403
    expect(page.locator("main")).to_contain_text("ADMIN_PASSWORD")
