"""A play or manage link cut short when copied: a page that says so and leads on, never a bare «not found»."""

from __future__ import annotations

GUEST = {"REMOTE_ADDR": "203.0.113.7"}


def test_a_wrong_play_link_says_it_does_not_fit_and_leads_to_the_lottery(app, client):
    created = client.post("/api/lotteries", json={"movies": [{"name": "Сталкер"}, {"name": "Солярис"}]})
    lottery = created.get_json()
    page = app.test_client().get(f"/l/{lottery['id']}/play/{lottery['play_token'][:-3]}", environ_base=GUEST)
    html = page.get_data(as_text=True)
    assert page.status_code == 404
    assert "Ссылка не подходит" in html and "скопировали не целиком" in html
    assert f'href="/l/{lottery["id"]}">К лотерее</a>' in html
    assert lottery["play_token"][:-3] not in html  # the secret part is never echoed


def test_a_wrong_manage_link_says_it_does_not_fit_and_leads_to_the_poll(app, client):
    poll = client.post("/api/polls", json={"movies": [{"name": "Сталкер"}, {"name": "Солярис"}]}).get_json()
    page = app.test_client().get(f"/p/{poll['id']}/manage/{poll['manage_token']}x", environ_base=GUEST)
    html = page.get_data(as_text=True)
    assert page.status_code == 404
    assert "Ссылка не подходит" in html and "для управления голосованием" in html
    assert f'href="/p/{poll["id"]}">К голосованию</a>' in html


def test_a_lottery_that_does_not_exist_is_still_plainly_not_found(app):
    page = app.test_client().get("/l/nosuchid/play/whatever", environ_base=GUEST)
    assert page.status_code == 404 and "Ссылка не подходит" not in page.get_data(as_text=True)
