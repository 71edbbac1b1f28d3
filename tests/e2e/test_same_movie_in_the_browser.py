"""The builder's JavaScript copy of the "same movie" rule, in Chromium, against the Python rule's own table.

The module is imported from the site itself (the file the builder page loads), so what is tested is what
is served.
"""

from __future__ import annotations

import sys
import unicodedata

import pytest
from playwright.sync_api import expect

from movie_lottery.core.same_movie import normalise_text
from tests.e2e.test_lottery_flow import add_by_hand
from tests.support.same_movie_cases import load_cases

pytestmark = pytest.mark.e2e

MODULE = "/static/js/lib/same-movie.js"
# The rule runs in the browser alone: one database backend is enough to serve the page.
ONE_BACKEND = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def run_in_page(page, script: str, argument):
    """Run ``script``, the body of an async function of ``rule`` (the module) and ``argument``."""
    return page.evaluate(
        f"async ([path, argument]) => {{ const rule = await import(path); {script} }}", [MODULE, argument]
    )


@ONE_BACKEND
def test_the_javascript_rule_gives_every_pair_of_the_table_the_same_verdict(live_server, page):
    page.goto(live_server.url + "/")
    cases = load_cases()
    verdicts = run_in_page(
        page,
        "return argument.map((c) => [rule.sameMovie(c.a, c.b), rule.sameMovie(c.b, c.a)]);",
        cases,
    )
    wrong = [case["why"] for case, both in zip(cases, verdicts, strict=True) if both != [case["same"]] * 2]
    assert wrong == []


def assigned_code_points() -> list[int]:
    """Every character this Python's Unicode knows (no surrogates, private use or unassigned ones)."""
    skipped = {"Cs", "Co", "Cn"}
    return [cp for cp in range(sys.maxunicode + 1) if unicodedata.category(chr(cp)) not in skipped]


def first_of_each_class(code_points: list[int], key) -> list[int]:
    """For each code point, the first one (in this order) that the rule calls the same title."""
    first: dict[str, int] = {}
    return [first.setdefault(key(chr(cp)), cp) for cp in code_points]


@ONE_BACKEND
def test_the_javascript_rule_groups_every_single_character_as_python_does(live_server, page):
    """Beyond the table: each of ~150,000 characters, alone, falls into the same class in both languages."""
    page.goto(live_server.url + "/")
    code_points = assigned_code_points()
    in_python = first_of_each_class(code_points, normalise_text)
    in_javascript = run_in_page(
        page,
        """const first = new Map();
        return argument.map((cp) => {
          const key = rule.normaliseTitle(String.fromCodePoint(cp));
          if (!first.has(key)) first.set(key, cp);
          return first.get(key);
        });""",
        code_points,
    )
    differing = [
        f"U+{cp:04X} {unicodedata.name(chr(cp), '?')}: Python with U+{p:04X}, JavaScript with U+{j:04X}"
        for cp, p, j in zip(code_points, in_python, in_javascript, strict=True)
        if p != j
    ]
    assert differing == []


def test_the_builder_says_yolki_and_elki_are_one_movie_before_anything_is_sent(live_server, page):
    sent = []
    # The builder asks the library about its candidates (a read, whose list is too long for an address);
    # whether two titles are one movie it decides by itself, before anything is sent.
    reads = ("/api/library/notes",)
    page.on(
        "request",
        lambda request: (
            sent.append(request.url) if request.method == "POST" and not request.url.endswith(reads) else None
        ),
    )
    page.goto(live_server.url + "/")
    add_by_hand(page, "Ёлки", "2010")
    add_by_hand(page, "Елки", "2010")
    expect(page.locator("#movie-form-error")).to_have_text("«Ёлки» уже есть в списке.")
    add_by_hand(page, "ЕЛКИ\u00a0", "2010")
    expect(page.locator("#movie-form-error")).to_have_text("«Ёлки» уже есть в списке.")
    expect(page.locator(".candidate")).to_have_count(1)
    add_by_hand(page, "Елки", "2011")  # another year: another movie
    expect(page.locator(".candidate")).to_have_count(2)
    expect(page.locator("#movie-form-error")).to_be_hidden()
    assert sent == []
