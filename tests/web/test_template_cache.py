"""Templates from the cache the build fills: the same pages as compiled afresh, and nothing compiled."""

from __future__ import annotations

import re
import shutil

import pytest

from movie_lottery.lottery.service import create_lottery
from movie_lottery.polls import service as polls
from movie_lottery.web.rendering.template_cache import compile_all

OWNER = {"REMOTE_ADDR": "127.0.0.1"}  # no ADMIN_PASSWORD: this machine is the owner, /status included
SERVER_NOW = re.compile(r'("now": ")[^"]+')
CSRF = re.compile(r'(name="csrf[-_]token" (?:content|value)=)"[^"]*"')


def pages(app) -> list[str]:
    with app.app_context():
        lottery = create_lottery([{"name": "Тихая гавань", "year": 2019}, {"name": "Маяк", "year": 2021}])
        poll = polls.create_poll([{"name": "Гавань", "year": 2008}, {"name": "Причал", "year": 2010}])
        return [
            "/",
            "/library",
            "/history",
            "/status",
            "/api/docs",
            f"/l/{lottery.lottery.id}",
            f"/l/{lottery.lottery.id}/play/{lottery.play_token}",
            f"/p/{poll.poll.id}",
            "/no-such-page",
        ]


def rendered(app, paths: list[str]) -> dict[str, str]:
    client = app.test_client()
    answers = {}
    for path in paths:
        response = client.get(path, environ_base=OWNER)
        assert response.status_code in (200, 404), (path, response.status_code)
        text = CSRF.sub(r"\1", response.get_data(as_text=True))  # a token is per session
        answers[path] = SERVER_NOW.sub(r"\1", text)  # the reel's clock: written in as each page is sent
    return answers


def counting_compiles(app) -> list[str]:
    compiled: list[str] = []
    compile_source = app.jinja_env.compile

    def compile_and_count(source, name=None, filename=None, *args, **kwargs):
        compiled.append(name)
        return compile_source(source, name, filename, *args, **kwargs)

    app.jinja_env.compile = compile_and_count
    return compiled


def test_every_page_is_the_same_from_the_cache_as_compiled_afresh(make_app, tmp_path):
    folder = tmp_path / "template-cache"
    compile_all(make_app(TEMPLATE_CACHE_DIR=str(folder)))  # what the build does
    from_cache = make_app(TEMPLATE_CACHE_DIR=str(folder))
    compiled = counting_compiles(from_cache)
    paths = pages(from_cache)
    with_cache = rendered(from_cache, paths)
    without_cache = rendered(make_app(TEMPLATE_CACHE_DIR=None), paths)
    assert compiled == []  # every template came from the cache
    live = "/status"  # this process's own memory, uptime and boot: two apps never agree on it
    assert {p: html for p, html in with_cache.items() if p != live} == {
        p: html for p, html in without_cache.items() if p != live
    }
    assert "Тихая гавань" in with_cache[paths[5]] and "Гавань" in with_cache[paths[7]]


def test_a_page_still_renders_when_its_compiled_template_cannot_be_saved(make_app, tmp_path, caplog):
    folder = tmp_path / "template-cache"
    app = make_app(TEMPLATE_CACHE_DIR=str(folder))
    shutil.rmtree(folder)  # the folder went away: the save fails, the page must not
    response = app.test_client().get("/library", environ_base=OWNER)
    assert response.status_code == 200 and "Кинолотерея" in response.get_data(as_text=True)
    assert "compiled template not saved to the cache" in caplog.text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_build_command_fills_the_cache_the_site_then_reads(make_app, tmp_path, database_url):
    folder = tmp_path / "template-cache"
    app = make_app(TEMPLATE_CACHE_DIR=str(folder))
    result = app.test_cli_runner().invoke(args=["compile-templates"])
    assert result.exit_code == 0 and result.output.startswith("compiled ")
    count = int(result.output.split()[1])
    assert count == len(list(folder.iterdir())) > 10
