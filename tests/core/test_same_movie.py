"""One "same movie" rule: movie_lottery.same_movie against the table the builder's JavaScript also runs."""

from __future__ import annotations

import pytest

from movie_lottery.core.same_movie import is_same_movie, normalise_text
from tests.support.same_movie_cases import case_id, load_cases

CASES = load_cases()


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_each_pair_in_the_table_is_one_movie_or_two_as_it_says(case):
    assert is_same_movie(case["a"], case["b"]) is case["same"]
    assert is_same_movie(case["b"], case["a"]) is case["same"]  # and the other way round


def test_the_table_has_both_kinds_and_the_cases_the_issue_names():
    assert {case["same"] for case in CASES} == {True, False}
    assert {"a": {"name": "Ёлки", "year": 2010}, "b": {"name": "Елки", "year": 2010}} in [
        {"a": case["a"], "b": case["b"]} for case in CASES if case["same"]
    ]
    assert any("\u00a0" in case["a"]["name"] for case in CASES)  # NBSP
    assert any("ß" in case["a"]["name"] for case in CASES)


def test_the_library_columns_keep_the_same_normal_form():
    # Stored sort_title/search_text (migration 0002 filled them for old rows) were made by this very rule:
    # were it to change, old rows would need a migration that fills them anew.
    assert normalise_text("  ЁЛКИ\u00a0 Straße ") == "елки strasse"
