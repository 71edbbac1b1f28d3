"""/library: the kept movies as cards with their marks, magnet and torrent state; forms that work without JS.

The page reads the database and this process's status snapshot, never qBittorrent. It costs a constant
number of statements however many movies there are (the counts per status, the movies with their
downloads, their viewings, the genres; the total behind a filter).

One place for each rule: a card's parts (its torrent badge and buttons, its marks) are rendered by the
server only, from partials/library_card.html (web/library_cards.py). The page's script asks /library/live
for the parts of the cards it shows and swaps in those that changed; after a card's own form it gets them
in the answer. So the badges, the status line and the marks are worded once, in web/torrent_badges.py and
web/library_words.py; the address's filter is read in web/library_params.py.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    get_template_attribute,
    jsonify,
    redirect,
    request,
    url_for,
)

from movie_lottery.backup import milestones
from movie_lottery.core.config import kinopoisk_configured, qbit_configured
from movie_lottery.core.errors import DomainError
from movie_lottery.core.models import LIBRARY_STATUSES, LibraryMovie
from movie_lottery.core.validation import parse_day
from movie_lottery.downloads import queue as downloads
from movie_lottery.downloads.status import service_for, status_summary
from movie_lottery.downloads.wishes import in_client, queue_torrent_removal
from movie_lottery.library import movies as library
from movie_lottery.library import viewings
from movie_lottery.library.filters import (
    DEFAULT_STATUSES,
    RANDOM_DEFAULT,
    RANDOM_DEFAULT_STATUSES,
    RANDOM_MAX,
    RANDOM_MIN,
    LibraryFilter,
    genre_choices,
    pick_random,
    status_counts_row,
    utc_today,
)
from movie_lottery.library.picks import PICK_MAX
from movie_lottery.web.guards.auth import is_admin
from movie_lottery.web.guards.errors import wants_json
from movie_lottery.web.guards.query_numbers import small_number
from movie_lottery.web.guards.rate_limits import limit_anonymous_create
from movie_lottery.web.library_params import (
    Listing,
    clean_args,
    current_listing,
    filter_params,
    form_back,
    ids_arg,
    list_params,
    picked_kind,
    safe_back,
)
from movie_lottery.web.page_input import page_arg
from movie_lottery.web.rendering.library_cards import (
    LIVE_PARTS,
    CardView,
    card_for,
    current_torrents,
    render_part,
)
from movie_lottery.web.rendering.library_words import STATUS_LABELS, note_for
from movie_lottery.web.rendering.page import collage_fetched_at, render_page
from movie_lottery.web.rendering.page_cache import cached
from movie_lottery.web.rendering.torrent_badges import MOVING_KINDS, status_line

bp = Blueprint("library_pages", __name__)

SORT_LABELS = {
    "added": "Сначала новые",
    "title": "По названию",
    "year": "По году",
    "rating": "По рейтингу",
    "watched": "Давно не смотрели",
}
RATING_CHOICES = (5.0, 6.0, 7.0, 7.5, 8.0)
FORM_FIELDS = ("name", "year", "poster", "description", "magnet")


# ---- pages --------------------------------------------------------------------------------------------


def _status_tabs(listing: Listing, counts: dict[str, int]) -> list[dict]:
    """«Все» (everything except «не предлагать»), then one tab per status, each with its count."""
    base = {"q", "genre", "year_from", "year_to", "min_rating", "favourite"}
    others = {k: v for k, v in list_params(listing).items() if k in base or k == "sort"}
    tabs = [
        {
            "label": "Все",
            "count": sum(counts[s] for s in DEFAULT_STATUSES),
            "url": url_for("library_pages.library_page", **others),
            "current": set(listing.filter.statuses) == set(DEFAULT_STATUSES),
            "status": "",
        }
    ]
    for status in LIBRARY_STATUSES:
        tabs.append(
            {
                "label": STATUS_LABELS[status].capitalize(),
                "count": counts[status],
                "url": url_for("library_pages.library_page", **others, status=status),
                "current": listing.filter.statuses == (status,),
                "status": status,
            }
        )
    return tabs


def _random_statuses(listing: Listing) -> tuple[str, ...]:
    """What «Случайные N» take from: the list's default means «хочу посмотреть»; never «не предлагать»."""
    statuses = listing.filter.statuses
    if set(statuses) == set(DEFAULT_STATUSES):
        statuses = RANDOM_DEFAULT_STATUSES
    return tuple(s for s in statuses if s != "excluded")


def _random_from(listing: Listing, counts: dict[str, int]) -> str:
    """Where «Случайные N» take from, in words, and how many fit: «Случайные 25» with 6 fitting says so
    before the press, not after."""
    statuses = _random_statuses(listing)
    if not statuses:
        return "«не предлагать» не выбираются"
    names = [f"«{STATUS_LABELS[s]}»" for s in statuses]
    words = "из " + " и ".join(names) + (", с фильтром" if listing.narrowed else "")
    fit = sum(counts[s] for s in statuses)
    if fit < RANDOM_MIN:
        return f"{words}: {_fit(fit)} {fit} — для случайных нужно хотя бы {RANDOM_MIN}"
    return f"{words}: {_fit(fit)} {fit}" if fit < RANDOM_MAX else words


def _fit(n: int) -> str:
    """«подходит 21», «подходят 6»: the verb agrees with the number."""
    return "подходит" if n % 10 == 1 and n % 100 != 11 else "подходят"


def _random_default(listing: Listing, counts: dict[str, int]) -> int:
    """The number the form offers: the usual one, or all that fit when fewer do (at least the minimum)."""
    fit = sum(counts[s] for s in _random_statuses(listing))
    return max(RANDOM_MIN, min(RANDOM_DEFAULT, fit))


def _library_cache_key() -> tuple:
    """Besides the data: the backdrop and, with qBittorrent configured, everything the page shows from this
    process's memory — the snapshot (compared by value) and the status summary (the status line follows
    from it). And the day: an exclusion ends at midnight without any row changing (library/filters.py)."""
    if not qbit_configured(current_app.config):
        return collage_fetched_at(), utc_today()
    service = service_for(current_app)
    snapshot = service.snapshot()  # wakes the refresher for the page's polling, hit or miss
    summary = status_summary(service)
    return collage_fetched_at(), utc_today(), snapshot, json.dumps(summary, sort_keys=True)


def backup_nudge() -> milestones.Milestones | None:
    """For the admin: the dates to show when the last backup would not restore (what to fix), or when no
    backup is newer than a week and there is data to lose."""
    if not is_admin():
        return None
    known = milestones.read_milestones()
    if known.unrestorable is not None:
        return known
    if not milestones.backup_overdue(known, utc_today()) or not milestones.anything_to_lose():
        return None
    return known


@bp.get("/library")
@cached(_library_cache_key)
def library_page(form: dict | None = None, form_error: str | None = None, status: int = 200):
    today = utc_today()
    listing = current_listing()
    found = library.list_movies(sort=listing.sort, page=page_arg(), filters=listing.filter, today=today)
    # The headline speaks of the whole library as the «Все» tab does of a filter: without «не предлагать»,
    # which it names apart, so «14 фильмов» never sits over «Все 12».
    whole = status_counts_row(LibraryFilter(), today).counts if listing.narrowed else found.counts
    total = sum(whole.values())
    config = current_app.config
    torrents = current_torrents()
    summary = status_summary(service_for(current_app))
    back = url_for("library_pages.library_page", **list_params(listing, found.page))
    html = render_page(
        "library.html",
        cards=[card_for(movie, torrents, today) for movie in found.movies],
        view=CardView(torrents.configured, is_admin(), back, None, today),
        total=total,
        excluded_total=whole["excluded"],
        listing=listing,
        flt=listing.filter,
        params=list_params(listing),
        filter_params=filter_params(listing.filter),
        random_params=filter_params(listing.filter, with_status=listing.filter.statuses != DEFAULT_STATUSES),
        random_from=_random_from(listing, found.counts),
        random_ok=any(status != "excluded" for status in listing.filter.statuses),
        tabs=_status_tabs(listing, found.counts),
        genres=genre_choices(),
        rating_choices=RATING_CHOICES,
        sort_labels=SORT_LABELS,
        configured=torrents.configured,
        status_line=status_line(summary),
        search_enabled=kinopoisk_configured(config),
        form=form or {},
        form_error=form_error,
        found=found,
        random=(RANDOM_MIN, RANDOM_MAX, _random_default(listing, found.counts)),
        pick_max=PICK_MAX,
        nudge=backup_nudge(),
    )
    if listing.error and status == 200:
        status = 400
    return html, status


# ---- the script's view of the cards: /library/live ----------------------------------------------------


@bp.get("/library/live")
def library_live() -> Response:
    """The parts of these cards as the server renders them, and the status line: what library.js swaps in.

    ``?ids=1,2,3`` (the cards shown, 24 at most), ``parts=torrent,marks`` (default torrent) and ``back``
    (the list the cards' forms return to). The forms carry no CSRF token here: the script puts the page's
    own in. The ETag is the answer's own digest: a page asking again while nothing it shows has changed
    gets a 304 and no bytes, however often the refresher has looked at qBittorrent meanwhile.
    """
    ids = ids_arg(request.args.get("ids"))
    asked = (request.args.get("parts") or "torrent").split(",")
    parts = [p for p in LIVE_PARTS if p in asked and (p != "controls" or is_admin())] or ["torrent"]
    back = safe_back(request.args.get("back")) or url_for("library_pages.library_page")
    today = utc_today()
    torrents = current_torrents()
    summary = status_summary(service_for(current_app))
    view = CardView(torrents.configured, is_admin(), back, "", today)
    cards, active = {}, False
    for movie in library.movies_by_id(ids):
        card = card_for(movie, torrents, today)
        active = active or bool(card["badge"] and card["badge"].kind in MOVING_KINDS)
        cards[str(movie.id)] = {part: render_part(part, card, view) for part in parts}
    line = status_line(summary)
    status_html = get_template_attribute("partials/torrent_status.html", "status_body")(line)
    body = {
        # What the script's polling needs, and no more: the time of the last look would change every answer.
        "poll": {
            "available": summary["available"],
            "checked": summary["checked_at"] is not None,
            "breaker": summary["breaker"],
            "active": active,
        },
        "status": {"kind": line.kind, "html": str(status_html)},
        "cards": cards,
    }
    response = jsonify(body)
    response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
    response.headers["Cache-Control"] = "no-cache"
    return response.make_conditional(request)


def _answer(movie_id: int, message: str, kind: str = "success", status: int = 200) -> Response:
    """A card form sent by the script: the message and the card's fresh parts, instead of a redirect."""
    today = utc_today()
    torrents = current_torrents()
    view = CardView(torrents.configured, is_admin(), form_back(), "", today)
    movies = library.movies_by_id([movie_id])
    parts = {}
    if movies:
        card = card_for(movies[0], torrents, today)
        parts = {
            part: render_part(part, card, view) for part in LIVE_PARTS if view.admin or part != "controls"
        }
    response = jsonify(message=message, kind=kind, cards={str(movie_id): parts})
    response.status_code = status
    return response


def _refusal(exc: DomainError) -> Response:
    response = jsonify(error={"code": exc.code, "message": exc.message})
    response.status_code = exc.status
    return response


# ---- forms ------------------------------------------------------------------------------------------


@bp.post("/library")
def library_add():
    form = {field: request.form.get(field, "") for field in FORM_FIELDS}
    try:
        limit_anonymous_create()
        added = library.add_movie(form)
    except DomainError as exc:
        return library_page(form=form, form_error=exc.message, status=exc.status)
    verb = "добавлен в библиотеку" if added.created else "уже был в библиотеке — данные обновлены"
    flash(f"«{added.movie.name}» {verb}", "success")
    return redirect(f"{url_for('library_pages.library_page')}#movie-{added.movie.id}")


def _act(movie_id: int, action, success, after=None):
    """Run one card action; a refusal becomes a message next to the card, not an error page.

    A form sent by the page's script (``Accept: application/json``) gets the message and the card's parts
    back; a plain form, a redirect to the card with a flash. ``after`` runs once the answer is rendered:
    waking the refresher only then means the answer shows the wish as stored, not half sent.
    """
    try:
        result = action()
    except DomainError as exc:
        if wants_json():
            return _refusal(exc)
        if exc.status == 404:
            raise
        flash(exc.message, "error")
        return redirect(form_back(movie_id))
    message = success(result) if callable(success) else success
    response = _answer(movie_id, message) if wants_json() else None
    if after is not None:
        after()
    if response is not None:
        return response
    flash(message, "success")
    return redirect(form_back(movie_id))


def _wake() -> None:
    service_for(current_app).wake()


@bp.post("/library/<int:movie_id>/magnet")
def library_set_magnet(movie_id: int):
    return _act(
        movie_id, lambda: library.set_magnet(movie_id, request.form.get("magnet", "")), "Магнет сохранён"
    )


@bp.post("/library/<int:movie_id>/magnet/clear")
def library_clear_magnet(movie_id: int):
    return _act(movie_id, lambda: library.clear_magnet(movie_id), "Магнет убран")


@bp.post("/library/<int:movie_id>/download")
def library_download(movie_id: int):
    def ask():
        movie = library.get_movie(movie_id)
        configured = qbit_configured(current_app.config)
        return movie, downloads.request_download(movie_id, configured=configured, in_client=in_client(movie))

    def said(result) -> str:
        movie, download = result
        if download.status == "pending":
            return f"«{movie.name}»: в очереди на скачивание — qBittorrent получит его через несколько секунд"
        return f"«{movie.name}»: уже в qBittorrent"

    return _act(movie_id, ask, said, after=_wake)


@bp.post("/library/<int:movie_id>/torrent/remove")
def library_remove_torrent(movie_id: int):
    delete_files = request.form.get("delete_files") == "1"

    def remove():
        movie = library.get_movie(movie_id)
        return movie, queue_torrent_removal(movie_id, delete_files, wake=False)

    def said(result) -> str:
        movie, removal = result
        if removal.status == "done":  # only called off: it never reached qBittorrent
            return f"«{movie.name}»: скачивание отменено"
        note = "торрент и файлы будут удалены" if delete_files else "торрент будет убран из qBittorrent"
        snapshot = service_for(current_app).peek()
        if snapshot.checked_at is not None and not snapshot.available:
            note += " — как только qBittorrent ответит"
        return f"«{movie.name}»: {note}"

    return _act(movie_id, remove, said, after=_wake)


@bp.post("/library/<int:movie_id>/delete")
def library_delete(movie_id: int):
    movie = library.get_movie(movie_id)
    library.delete_movie(movie_id)
    flash(f"«{movie.name}» удалён из библиотеки", "success")
    return redirect(form_back())


# ---- marks: the same changes as PATCH /api/library/<id> and its viewings, as forms ------------------------


def _form_day(name: str) -> date | None:
    raw = (request.form.get(name) or "").strip()
    return parse_day(raw) if raw else None


def _marks_said(movie: LibraryMovie, changes: dict) -> str:
    if "favourite" in changes and "status" not in changes:
        return f"«{movie.name}»: {'в любимых' if movie.favourite else 'больше не в любимых'}"
    note = note_for(library.marks_to_dict(movie), utc_today())
    words = note["text"] if note and note["status"] == "excluded" else note["label"] if note else ""
    return f"«{movie.name}»: {words}"


@bp.post("/library/<int:movie_id>/marks")
def library_marks(movie_id: int):
    def change():
        changes: dict = {}
        if request.form.get("status"):
            changes["status"] = request.form["status"]
        if "excluded_until" in request.form:
            changes["excluded_until"] = _form_day("excluded_until")
        if request.form.get("favourite") in ("0", "1"):
            changes["favourite"] = request.form["favourite"] == "1"
        return viewings.update_marks(movie_id, changes), changes

    return _act(movie_id, change, lambda result: _marks_said(*result))


@bp.post("/library/<int:movie_id>/viewings")
def library_add_viewing(movie_id: int):
    def add():
        return viewings.add_viewing(movie_id, _form_day("date"))

    def said(added) -> str:
        note = note_for(library.marks_to_dict(added.movie), utc_today())
        return f"«{added.movie.name}»: {note['text'] if note and note['text'] else 'посмотрели'}"

    return _act(movie_id, add, said)


@bp.post("/library/<int:movie_id>/viewings/<day>/delete")
def library_delete_viewing(movie_id: int, day: str):
    def forget():
        return viewings.delete_viewing(movie_id, parse_day(day))

    return _act(movie_id, forget, lambda movie: f"«{movie.name}»: просмотр забыт")


# ---- picks from the library: «Случайные N» into the builder --------------------------------------------


@bp.get("/library/random")
def library_random():
    """«Случайные N»: N movies at random (the server's ``secrets``) from the list's filter, into the builder
    (``kind=poll``: with «Голосование» chosen there).

    The list's default (everything except «не предлагать») means «хочу посмотреть» here; watched movies
    only when the filter asks for them, excluded ones never.
    """
    flt, error = clean_args(request.args, RANDOM_DEFAULT_STATUSES)
    kind = picked_kind(request.args)
    raw_n = (request.args.get("n") or str(RANDOM_DEFAULT)).strip()
    n = small_number(raw_n)
    if error is None and not (n is not None and RANDOM_MIN <= n <= RANDOM_MAX):
        error = f"Случайных фильмов — от {RANDOM_MIN} до {RANDOM_MAX}"
    back = url_for("library_pages.library_page", **filter_params(clean_args(request.args)[0]))
    if error:
        flash(error, "error")
        return redirect(back)
    chosen = pick_random(flt, n)
    if len(chosen) < RANDOM_MIN:
        if "excluded" in flt.statuses and len(flt.statuses) == 1:
            flash("Фильмы «не предлагать» в случайный выбор не попадают", "error")
        else:
            found = "ни одного фильма" if not chosen else "только один фильм"
            what = "голосования" if kind == "poll" else "лотереи"
            flash(f"Под этот фильтр подходит {found} — для {what} нужно хотя бы два", "error")
        return redirect(back)
    if len(chosen) < n:
        flash(f"{_fit(len(chosen)).capitalize()} только {len(chosen)} из {n} — взяли все", "warning")
    ids = ",".join(str(movie.id) for movie in chosen)
    return redirect(
        url_for("lottery_pages.builder", library=ids, **({"kind": kind} if kind == "poll" else {}))
    )
