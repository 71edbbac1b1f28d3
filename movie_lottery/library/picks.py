"""The builder's candidates picked from the library («Выбрать» and «Случайные N»): each movie in the
lottery's movie shape with its library id, and its marks for the words the builder shows beside it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from movie_lottery.library import movies as library
from movie_lottery.lottery.service import movie_to_dict

PICK_MAX = 25  # the builder's limit: a lottery has at most 25 movies


@dataclass(frozen=True)
class Pick:
    candidate: dict  # the lottery's movie shape (empty fields left out) and ``library_id``
    marks: dict  # what the library knows of it (library.marks_to_dict)


def picked(ids: list[int], today: date) -> list[Pick]:
    """These library movies as the builder's candidates, in the order asked for; unknown ids are skipped."""
    picks = []
    for movie in library.movies_by_id(ids):
        candidate = {key: value for key, value in movie_to_dict(movie).items() if value not in (None, [], "")}
        candidate["library_id"] = movie.id
        picks.append(Pick(candidate, library.marks_to_dict(movie, today)))
    return picks
