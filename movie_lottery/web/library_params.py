"""What the library's addresses and forms say: the filter, order and page of the list shown, the cards asked
for, the builder's picks, and where a form returns to. Parsing only: the rules are the library's."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import request, url_for

from movie_lottery.core.errors import InvalidInput
from movie_lottery.core.kept_movies import ID_MAX
from movie_lottery.core.models import LIBRARY_STATUSES
from movie_lottery.library import movies as library
from movie_lottery.library.filter_input import load_library_filter
from movie_lottery.library.filters import DEFAULT_STATUSES, LibraryFilter
from movie_lottery.library.picks import PICK_MAX
from movie_lottery.web.guards.query_numbers import small_number

FILTER_PARAMS = ("q", "status", "genre", "year_from", "year_to", "min_rating", "favourite")
BACK_MAX = 2000


@dataclass(frozen=True)
class Listing:
    filter: LibraryFilter
    sort: str
    error: str | None = None

    @property
    def narrowed(self) -> bool:
        """Anything besides the statuses: then the library's size needs a count of its own."""
        f = self.filter
        return bool(f.query or f.genre or f.favourite) or any(
            value is not None for value in (f.year_from, f.year_to, f.min_rating)
        )


def status_param(statuses: tuple[str, ...]) -> str | None:
    if set(statuses) == set(DEFAULT_STATUSES):
        return None
    if set(statuses) == set(LIBRARY_STATUSES):
        return "all"
    return ",".join(s for s in LIBRARY_STATUSES if s in statuses)


def _number(value: float | None) -> str | None:
    return None if value is None else f"{value:g}"


def filter_params(flt: LibraryFilter, *, with_status: bool = True) -> dict[str, str | None]:
    """The filter as the address says it, from the cleaned values (None: left out)."""
    params = {
        "q": flt.query or None,
        "status": status_param(flt.statuses) if with_status else None,
        "genre": flt.genre or None,
        "year_from": None if flt.year_from is None else str(flt.year_from),
        "year_to": None if flt.year_to is None else str(flt.year_to),
        "min_rating": _number(flt.min_rating),
        "favourite": "1" if flt.favourite else None,
    }
    return {key: value for key, value in params.items() if value is not None}


def list_params(listing: Listing, page: int = 1) -> dict[str, str | int]:
    params: dict[str, str | int] = dict(filter_params(listing.filter))
    if listing.sort != library.DEFAULT_SORT:
        params["sort"] = listing.sort
    if page > 1:
        params["page"] = page
    return params


def clean_args(
    args, default_statuses: tuple[str, ...] = DEFAULT_STATUSES
) -> tuple[LibraryFilter, str | None]:
    """The address's filter, or (on a bad value) the plain list and the reason. The words are cleaned, not
    checked (control characters dropped, cut at 100 characters): a pasted title should find, not refuse."""
    raw = {key: args.get(key) for key in FILTER_PARAMS if args.get(key) not in (None, "")}
    if "q" in raw:
        raw["q"] = library.clean_query(raw["q"]) or None
    try:
        return load_library_filter({k: v for k, v in raw.items() if v is not None}, default_statuses), None
    except InvalidInput as exc:
        return LibraryFilter(query=library.clean_query(args.get("q"))), exc.message


def current_listing() -> Listing:
    flt, error = clean_args(request.args)
    return Listing(flt, library.clean_sort(request.args.get("sort")), error)


def ids_arg(raw: str | None, limit: int = library.PAGE_SIZE) -> list[int]:
    ids: list[int] = []
    for word in (raw or "").split(",")[:limit]:
        number = small_number(word)
        if number is not None and 0 < number <= ID_MAX and number not in ids:
            ids.append(number)
    return ids


def picked_ids(args) -> list[int]:
    """``?library=3,1,2`` or ``?library=3&library=1`` (the selection form): distinct ids, 25 at most."""
    words = ",".join(args.getlist("library")).split(",")
    return ids_arg(",".join(words), limit=PICK_MAX * 4)[:PICK_MAX]


def picked_kind(args) -> str:
    """``?kind=poll``: the picks are for a poll, so the builder opens with «Голосование» and its settings."""
    return "poll" if args.get("kind") == "poll" else "lottery"


def safe_back(target: str | None) -> str | None:
    if not target or len(target) > BACK_MAX or not target.startswith("/library") or target.startswith("//"):
        return None
    if re.search(r"[\x00-\x20\\]", target):
        return None
    return target


def form_back(movie_id: int | None = None) -> str:
    """Back to the list the form was sent from (same filter and sort), at the movie's card."""
    target = safe_back(request.form.get("back", "")) or url_for("library_pages.library_page")
    return f"{target}#movie-{movie_id}" if movie_id else target
