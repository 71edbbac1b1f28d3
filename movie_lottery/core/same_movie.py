"""When two movies are one: the rule the library, the lotteries and the builder page share.

Two movies are the same when they have the same Kinopoisk id; when either lacks one, when their titles match
(case, spacing and ё/е do not matter) and so do their years. Two different Kinopoisk ids are two movies, even
with the same title and year (remakes, a film and a series).

The builder page checks the same rule before it sends a lottery: ``static/js/lib/same-movie.js`` mirrors it,
and both are held to one table of cases (``tests/support/fixtures/same_movie_cases.json``). Change the three
together.
The library stores ``normalise_text`` of each title and search text (``LibraryMovie.sort_title`` and
``search_text``, filled in by migration 0002 for old rows): a change here needs a migration to fill them anew.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def normalise_text(text: str) -> str:
    """Case (full Unicode case folding: ß is ss), spacing (any Unicode space, runs, ends) and ё/е."""
    return " ".join(text.casefold().replace("ё", "е").split())


def title_key(name: str, year: int | None) -> tuple[str, int | None]:
    """What a movie typed by hand is known by: its normalised title and its year."""
    return normalise_text(name), year


def same_movie_key(name: str, year: int | None) -> str:
    """``title_key`` as one string, stored as ``LibraryMovie.same_key`` (0011) so the database can hold the
    rule: the year (empty when unknown), «|», the normalised title."""
    return f"{'' if year is None else year}|{normalise_text(name)}"


def is_same_movie(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Are these (``name``, ``year``, ``kinopoisk_id``) one movie?"""
    id_a, id_b = a.get("kinopoisk_id"), b.get("kinopoisk_id")
    if id_a is not None and id_b is not None:
        return id_a == id_b
    return title_key(a["name"], a.get("year")) == title_key(b["name"], b.get("year"))
