"""Backups: the library, every lottery and every poll as one deterministic JSON document, and importing it
back.

Deterministic: the same data gives the same bytes, on SQLite and on PostgreSQL, so two backups can be diffed.
Rows are ordered by natural keys in Python (never by autoincrement ids or a database collation), keys are
sorted, the indentation is fixed, and there is no export timestamp. backup/write.py holds the canonical form.

Import is a restore that never loses what the database already holds:
- library movies are matched as library.add_movie matches them (Kinopoisk id, or title and year); a field
  the file leaves blank never wipes a known one, a magnet in the file replaces the stored one, and the
  earlier "added" date wins;
- a movie's marks (status, exclusion, «любимое») in the file replace the stored ones, as a magnet does; a
  file that states none (version 1) leaves them. Viewings are merged, never taken away: a day recorded by
  hand in the file is added unless the database has one that day; a night's viewing (its lottery or poll)
  is added once its night is in, unless the database has that night's viewing already (it stays as it
  is); a night that is in neither the file nor the database is kept as a day recorded by hand;
- ratings (format 3) are matched by their night and participant, as ratings.rate matches them: one the
  database lacks is added, and of two by one participant the later one stays. A name another participant
  has for that night there (a rating's, or in a poll a ballot's) is refused, as is a rating of a lottery
  or poll that is neither in the file nor in the database: unlike a viewing, which is a day without its
  link, a rating is its night's (its participant and name are unique there), so it is not guessed at;
- lotteries are matched by id. A lottery never changes after creation except for its draw, so a file that
  disagrees about anything else is refused; a draw the file has is recorded; a draw is never undone;
- polls likewise: a poll never changes after creation except for its ballots and its close, so a file that
  disagrees about anything else is refused. A closed poll is final: closed in the database, it stays as it
  is; closed only in the file, it closes with the file's ballots and result (the ballots that result was
  counted from). Both open: the file's ballots are merged in — a participant the database does not know is
  added (a name another participant has there is refused), and of two ballots by one participant the later
  one stays;
- the whole document is validated first, then applied in one transaction: all or nothing. A dry run does
  the same work and rolls it back, so its report is exactly what a real import would do.
Importing the same file twice changes nothing the second time.

Not in the file: the queue of torrent wishes (downloads and removals) and torrent states: they describe
qBittorrent, not the collection, and a removal replayed by a restore onto another day (or another site)
would delete a torrent, perhaps its files, that the owner has since added again. Nor is
``updated_at`` (bookkeeping that a restore itself changes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from movie_lottery.backup import check, write
from movie_lottery.backup.storable import refuse_unstorable_text
from movie_lottery.core.errors import Conflict, InvalidInput
from movie_lottery.core.extensions import db
from movie_lottery.core.kept_movies import find_same_movie
from movie_lottery.core.models import (
    LibraryMovie,
    Lottery,
    LotteryMovie,
    Poll,
    PollBallot,
    PollMovie,
    Rating,
    Viewing,
)
from movie_lottery.core.same_movie import normalise_text
from movie_lottery.integrations.magnet import parse_magnet
from movie_lottery.library.movies import apply_details, store_magnet
from movie_lottery.telegram.models import BoundChat, MembersOnlyPoll

# ---- export ---------------------------------------------------------------------------------------------


def export_data() -> dict:
    """The whole collection as a plain dict in canonical form (see backup/write.py)."""
    movies = db.session.scalars(sa.select(LibraryMovie).options(selectinload(LibraryMovie.viewings)))
    lotteries = db.session.scalars(sa.select(Lottery).options(selectinload(Lottery.movies)))
    polls = db.session.scalars(sa.select(Poll).options(selectinload(Poll.movies), selectinload(Poll.ballots)))
    ratings: dict[int, list[Rating]] = {}
    for rating in db.session.scalars(sa.select(Rating)):
        ratings.setdefault(rating.movie_id, []).append(rating)
    chats = sorted(
        (write.chat_entry(chat) for chat in db.session.scalars(sa.select(BoundChat))),
        key=lambda c: c["chat_id"],
    )
    members_only = sorted(
        db.session.scalars(sa.select(MembersOnlyPoll.poll_id).join(Poll, Poll.id == MembersOnlyPoll.poll_id))
    )
    return {
        **({"telegram_chats": chats} if chats else {}),
        **(
            {"telegram_members_only_polls": members_only} if members_only else {}
        ),  # a site without Telegram: the same bytes as before
        "format": write.FORMAT,
        "version": write.VERSION,
        "library": sorted(
            (write.library_entry(m, ratings.get(m.id, ())) for m in movies), key=write.library_order
        ),
        "lotteries": sorted((write.lottery_entry(lot) for lot in lotteries), key=write.lottery_order),
        "polls": sorted((write.poll_entry(poll) for poll in polls), key=write.poll_order),
    }


def dumps_backup(data: dict) -> str:
    """The file's text: sorted keys, two-space indent, real UTF-8 letters (a diff should be readable)."""
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def loads_backup(raw: bytes | str) -> dict:
    """Parse a file someone handed us; anything that is not a JSON object is refused in plain words."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")  # a byte-order mark from a Windows editor is harmless
        except UnicodeDecodeError:
            raise InvalidInput(
                "Файл не в кодировке UTF-8 — это не резервная копия", code="invalid_backup"
            ) from None
    try:
        data = json.loads(raw, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"Файл не похож на резервную копию: это не JSON (строка {exc.lineno}, позиция {exc.colno})",
            code="invalid_backup",
        ) from None
    except (ValueError, RecursionError):
        raise InvalidInput("Файл не похож на резервную копию: это не JSON", code="invalid_backup") from None
    if not isinstance(data, dict):
        raise InvalidInput("Файл не похож на резервную копию: нужен JSON-объект", code="invalid_backup")
    refuse_unstorable_text(
        data
    )  # the file is a door too: refused, with its place, before a message repeats it
    return data


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


# ---- import ---------------------------------------------------------------------------------------------


@dataclass
class Counts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0

    def describe(self, would: bool) -> str:
        if would:
            return f"добавится {self.added}, обновится {self.updated}, без изменений {self.unchanged}"
        return f"добавлено {self.added}, обновлено {self.updated}, без изменений {self.unchanged}"


@dataclass
class ImportReport:
    dry_run: bool
    library: Counts = field(default_factory=Counts)
    lotteries: Counts = field(default_factory=Counts)
    polls: Counts = field(default_factory=Counts)
    chats: Counts = field(default_factory=Counts)

    @property
    def changed(self) -> bool:
        return any(c.added or c.updated for c in (self.library, self.lotteries, self.polls, self.chats))

    def describe(self) -> str:
        """Russian sentences for the CLI and the page's flash message."""
        body = (
            f"Библиотека: {self.library.describe(self.dry_run)}. "
            f"Лотереи: {self.lotteries.describe(self.dry_run)}. "
            f"Голосования: {self.polls.describe(self.dry_run)}."
        )
        if self.chats.added or self.chats.updated or self.chats.unchanged:
            body += f" Чаты Telegram: {self.chats.describe(self.dry_run)}."
        if self.dry_run:
            return f"Пробный прогон — ничего не записано. {body}"
        if not self.changed:
            return f"Всё из копии уже есть в базе — ничего не изменилось. {body}"
        return f"Копия загружена. {body}"


def import_data(data: dict, dry_run: bool = False) -> ImportReport:
    """Restore a backup document (idempotent, all or nothing). Raises InvalidInput or Conflict."""
    document = check.check_backup(data)  # before anything touches the database
    report = ImportReport(dry_run=dry_run)
    try:
        seen: set[int] = set()
        imported = [_import_movie(entry, seen) for entry in document.library]
        for entry in document.lotteries:
            _import_lottery(entry, report.lotteries)
        for entry in document.polls:
            _import_poll(entry, report.polls)
        for entry in document.chats:
            _import_chat(entry, report.chats)
        db.session.flush()
        for poll_id in document.members_only_polls:
            if db.session.get(MembersOnlyPoll, poll_id) is None:
                db.session.add(MembersOnlyPoll(poll_id=poll_id))
        db.session.flush()
        for (movie, _before), entry in zip(imported, document.library, strict=True):
            _link_viewings(movie, entry)
            _import_ratings(movie, entry)
        db.session.flush()
        for movie, before in imported:
            _count(report.library, before, write.library_entry(movie, _ratings_of(movie)))
    except IntegrityError:
        db.session.rollback()
        raise Conflict("Данные изменились во время загрузки — повторите", code="conflict") from None
    except BaseException:
        db.session.rollback()
        raise
    if dry_run:
        db.session.rollback()
        return report
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("Данные изменились во время загрузки — повторите", code="conflict") from None
    return report


def _import_chat(entry: dict, counts: Counts) -> None:
    """A connected chat comes back connected; one already connected takes the file's title and date."""
    chat = db.session.get(BoundChat, entry["chat_id"])
    before = write.chat_entry(chat) if chat is not None else None
    if chat is None:
        chat = BoundChat(chat_id=entry["chat_id"])
        db.session.add(chat)
    chat.title, chat.bound_at = entry["title"], write.parse_timestamp(entry["bound_at"])
    _count(counts, before, entry)


def _count(counts: Counts, before: dict | None, after: dict) -> None:
    if before is None:
        counts.added += 1
    elif after == before:
        counts.unchanged += 1
    else:
        counts.updated += 1


def _import_movie(entry: dict, seen: set[int]) -> tuple[LibraryMovie, dict | None]:
    """The movie merged from the entry, and its canonical entry before (None: it is new)."""
    movie = find_same_movie(entry["kinopoisk_id"], entry["name"], entry["year"])
    if movie is not None and movie.id in seen:
        raise InvalidInput(
            f"Библиотека: «{entry['name']}» встречается в копии дважды (тот же фильм Кинопоиска или то же"
            " название и год)",
            code="invalid_backup",
        )
    magnet = parse_magnet(entry["magnet"]) if entry["magnet"] else None
    if magnet is not None:
        owner = db.session.scalar(sa.select(LibraryMovie).where(LibraryMovie.info_hash == magnet.info_hash))
        if owner is not None and owner is not movie:
            raise Conflict(
                f"Библиотека: раздача фильма «{entry['name']}» ({magnet.info_hash[:10]}…) в базе уже"
                f" привязана к фильму «{owner.name}». Уберите магнет у одного из них и повторите",
                code="magnet_in_use",
            )
    added_at = write.parse_timestamp(entry["added_at"])
    before = write.library_entry(movie, _ratings_of(movie)) if movie is not None else None
    if movie is None:
        movie = LibraryMovie(name=entry["name"], genres=[], countries=[], details={}, added_at=added_at)
        db.session.add(movie)
    # The same merge as library.add_movie, so an import and a second "В библиотеку" agree.
    apply_details(movie, entry)
    if magnet is not None and movie.magnet != magnet.uri:
        store_magnet(movie, magnet)  # also keeps a queued download following the link
    if added_at < movie.added_at:
        movie.added_at = added_at  # "first added" is the earliest date anyone knew
    if entry["status"] is not None:  # version 2 states the marks; version 1 leaves them as they are
        movie.status = entry["status"]
        until = entry["excluded_until"]
        movie.excluded_until = date.fromisoformat(until) if until else None
        movie.favourite = entry["favourite"]
    for viewing in entry["viewings"]:
        if viewing["lottery_id"] is None and viewing["poll_id"] is None:
            _add_hand_recorded(movie, date.fromisoformat(viewing["date"]))
    db.session.flush()
    seen.add(movie.id)
    return movie, before


def _add_hand_recorded(movie: LibraryMovie, day: date) -> None:
    """A day recorded by hand, unless the movie has one that day (they are one per movie and day)."""
    if not any(v.watched_on == day and v.lottery_id is None and v.poll_id is None for v in movie.viewings):
        movie.viewings.append(Viewing(watched_on=day))


def _link_viewings(movie: LibraryMovie, entry: dict) -> None:
    """The file's nights' viewings, once the lotteries and polls are in: one per night, and a night whose
    viewing the database has already keeps it as it is there."""
    for linked in entry["viewings"]:
        for key, model, column in (
            ("lottery_id", Lottery, Viewing.lottery_id),
            ("poll_id", Poll, Viewing.poll_id),
        ):
            night_id = linked[key]
            if night_id is None or db.session.scalar(sa.select(Viewing.id).where(column == night_id)):
                continue
            day = date.fromisoformat(linked["date"])
            if db.session.get(model, night_id) is None:
                _add_hand_recorded(movie, day)  # its night is nowhere: the day stays, without it
            else:
                movie.viewings.append(Viewing(watched_on=day, **{key: night_id}))
            db.session.flush()


def _ratings_of(movie: LibraryMovie) -> list[Rating]:
    return list(db.session.scalars(sa.select(Rating).where(Rating.movie_id == movie.id)))


def _import_ratings(movie: LibraryMovie, entry: dict) -> None:
    """The file's ratings of this movie merged in (see the module's docstring); lotteries and polls are in."""
    where = f"Библиотека, фильм «{entry['name']}»"
    for given in entry["ratings"]:
        key = normalise_text(given["name"])[:200]
        night = check.night_of(given)
        if night is None:  # its night was deleted: one rating per participant of the movie
            same = sa.and_(Rating.movie_id == movie.id, Rating.lottery_id.is_(None), Rating.poll_id.is_(None))
        else:
            column_key, night_id = night
            model = Lottery if column_key == "lottery_id" else Poll
            if db.session.get(model, night_id) is None:
                what = "такой лотереи" if model is Lottery else "такого голосования"
                raise InvalidInput(
                    f"{where}: оценка «{given['name']}» — {check.night_name(night)}, а {what} нет ни в копии,"
                    " ни в базе",
                    code="invalid_backup",
                )
            same = getattr(Rating, column_key) == night_id
        rating = db.session.scalar(sa.select(Rating).where(same, Rating.participant == given["participant"]))
        rated_at = write.parse_timestamp(given["rated_at"])
        if rating is not None and rated_at <= rating.rated_at:
            continue  # the database's rating is as new or newer: it stays
        if night is not None:
            _refuse_a_taken_name(night, given, key, where)
        if rating is None:
            if night is not None and given["telegram_user_id"] is not None:
                _refuse_a_taken_account(night, given, where)
            rating = Rating(
                movie_id=movie.id,
                participant=given["participant"],
                lottery_id=given["lottery_id"],
                telegram_user_id=given["telegram_user_id"],
            )
            rating.poll_id = given["poll_id"]
            db.session.add(rating)
        rating.name, rating.name_key, rating.score, rating.rated_at = (
            given["name"],
            key,
            given["score"],
            rated_at,
        )
        db.session.flush()


def _refuse_a_taken_account(night: tuple[str, str], given: dict, where: str) -> None:
    """That night's rating by the same Telegram account under another participant (the database holds one
    per account: a unique index)."""
    column_key, night_id = night
    other = db.session.scalar(
        sa.select(Rating.participant).where(
            getattr(Rating, column_key) == night_id, Rating.telegram_user_id == given["telegram_user_id"]
        )
    )
    if other is not None and other != given["participant"]:
        raise Conflict(
            f"{where}: аккаунт Telegram {given['telegram_user_id']} у {check.night_name(night)} в базе уже"
            " оценил под другим участником — копию загрузить нельзя",
            code="telegram_user_taken",
        )


def _refuse_a_taken_name(night: tuple[str, str], given: dict, key: str, where: str) -> None:
    """Another participant's name for that night in the database: their rating's or, in a poll, their
    ballot's (ratings.rate refuses both)."""
    column_key, night_id = night
    owners = set(
        db.session.scalars(
            sa.select(Rating.participant).where(
                getattr(Rating, column_key) == night_id, Rating.name_key == key
            )
        )
    )
    if column_key == "poll_id":
        owners.update(
            db.session.scalars(
                sa.select(PollBallot.participant).where(
                    PollBallot.poll_id == night_id, PollBallot.name_key == key
                )
            )
        )
    if owners - {given["participant"]}:
        raise Conflict(
            f"{where}: имя «{given['name']}» у {check.night_name(night)} в базе уже у другого участника —"
            " копию загрузить нельзя",
            code="name_taken",
        )


def _import_lottery(entry: dict, counts: Counts) -> None:
    lottery = db.session.get(Lottery, entry["id"], options=[selectinload(Lottery.movies)])
    if lottery is None:
        db.session.add(_new_lottery(entry))
        counts.added += 1
        return
    current = write.lottery_entry(lottery)
    if _without_draw(current) != _without_draw(entry):
        raise Conflict(
            f"Лотерея {entry['id']} в базе не такая, как в копии (другие фильмы, дата или ключи):"
            " это разные лотереи, копию загрузить нельзя",
            code="lottery_mismatch",
        )
    if entry["winner_position"] is None or current["winner_position"] is not None:
        counts.unchanged += 1  # nothing new, or already drawn here: a draw is never undone or redone
        return
    # Conditional, like lottery.draw: a live draw racing the import must not be recorded twice.
    db.session.execute(
        sa.update(Lottery)
        .where(Lottery.id == lottery.id, Lottery.winner_position.is_(None))
        .values(winner_position=entry["winner_position"], drawn_at=write.parse_timestamp(entry["drawn_at"]))
        .execution_options(synchronize_session=False)
    )
    db.session.expire(lottery)
    counts.updated += 1


def _without_draw(entry: dict) -> dict:
    return {key: value for key, value in entry.items() if key not in ("winner_position", "drawn_at")}


def _new_lottery(entry: dict) -> Lottery:
    return Lottery(
        id=entry["id"],
        created_at=write.parse_timestamp(entry["created_at"]),
        seed=entry["seed"],
        commitment=entry["commitment"],
        play_token=entry["play_token"],
        winner_position=entry["winner_position"],
        drawn_at=write.parse_timestamp(entry["drawn_at"]) if entry["drawn_at"] else None,
        auto_download=entry["auto_download"],
        movies=[
            LotteryMovie(position=c["position"], **{key: c[key] for key in write.MOVIE_KEYS})
            for c in entry["candidates"]
        ],
    )


# ---- polls ----------------------------------------------------------------------------------------------


def _import_poll(entry: dict, counts: Counts) -> None:
    poll = db.session.get(Poll, entry["id"], options=[selectinload(Poll.movies), selectinload(Poll.ballots)])
    if poll is None:
        db.session.add(_new_poll(entry))
        counts.added += 1
        return
    before = write.poll_entry(poll)
    if _settings(before) != _settings(entry):
        raise Conflict(
            f"Голосование {entry['id']} в базе не такое, как в копии (другие фильмы, настройки, дата или"
            " ключи): это разные голосования, копию загрузить нельзя",
            code="poll_mismatch",
        )
    if poll.closed_at is not None or before == entry:
        counts.unchanged += 1  # closed here: final, whatever the file says
        return
    if entry["closed_at"] is not None:
        _close_from_file(poll, entry)
    else:
        _merge_ballots(poll, entry)
    db.session.flush()
    db.session.expire(poll)
    poll = db.session.get(Poll, entry["id"], options=[selectinload(Poll.movies), selectinload(Poll.ballots)])
    _count(counts, before, write.poll_entry(poll))


def _settings(entry: dict) -> dict:
    return {key: value for key, value in entry.items() if key not in check.POLL_STATE_KEYS}


def _close_from_file(poll: Poll, entry: dict) -> None:
    """The file's close, with the ballots it froze: conditional, like polls.close, so a live close racing
    the import is not overwritten."""
    closed = db.session.execute(
        sa.update(Poll)
        .where(Poll.id == poll.id, Poll.closed_at.is_(None))
        .values(
            closed_at=write.parse_timestamp(entry["closed_at"]),
            closed_by=entry["closed_by"],
            result=entry["result"],
            winner_position=entry["result"]["winner"] if entry["result"] else None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if closed != 1:
        raise Conflict("Данные изменились во время загрузки — повторите", code="conflict")
    poll.ballots.clear()  # delete-orphan; flushed first, so the file's ballots may reuse a participant
    db.session.flush()
    poll.ballots.extend(_new_ballot(poll.id, ballot) for ballot in entry["ballots"])


def _merge_ballots(poll: Poll, entry: dict) -> None:
    mine = {ballot.participant: ballot for ballot in poll.ballots}
    for given in entry["ballots"]:
        key = normalise_text(given["name"])[:200]
        ballot = mine.get(given["participant"])
        if ballot is None:
            taken = next((b for b in poll.ballots if b.name_key == key), None)
            if taken is not None:
                raise Conflict(
                    f"Голосование {poll.id}: имя «{given['name']}» в базе уже у другого участника —"
                    " копию загрузить нельзя",
                    code="name_taken",
                )
            account = given["telegram_user_id"]
            if account is not None and any(b.telegram_user_id == account for b in poll.ballots):
                raise Conflict(
                    f"Голосование {poll.id}: аккаунт Telegram {account} в базе уже голосует под другим"
                    " участником — копию загрузить нельзя",
                    code="telegram_user_taken",
                )
            poll.ballots.append(_new_ballot(poll.id, given))
            continue
        if write.parse_timestamp(given["cast_at"]) <= ballot.cast_at:
            continue  # the database's ballot is as new or newer: it stays
        if any(b.name_key == key and b is not ballot for b in poll.ballots):
            raise Conflict(
                f"Голосование {poll.id}: имя «{given['name']}» в базе уже у другого участника —"
                " копию загрузить нельзя",
                code="name_taken",
            )
        ballot.name, ballot.name_key = given["name"], key
        ballot.choices, ballot.veto = list(given["choices"]), given["veto"]
        ballot.cast_at = write.parse_timestamp(given["cast_at"])


def _new_ballot(poll_id: str, given: dict) -> PollBallot:
    return PollBallot(
        poll_id=poll_id,
        participant=given["participant"],
        name=given["name"],
        name_key=normalise_text(given["name"])[:200],
        choices=list(given["choices"]),
        veto=given["veto"],
        cast_at=write.parse_timestamp(given["cast_at"]),
        telegram_user_id=given["telegram_user_id"],
    )


def _new_poll(entry: dict) -> Poll:
    result = entry["result"]
    return Poll(
        id=entry["id"],
        created_at=write.parse_timestamp(entry["created_at"]),
        method=entry["method"],
        results=entry["results"],
        veto=entry["veto"],
        auto_download=entry["auto_download"],
        verification=entry["verification"],
        deadline=write.parse_timestamp(entry["deadline"]) if entry["deadline"] else None,
        seed=entry["seed"],
        commitment=entry["commitment"],
        manage_token=entry["manage_token"],
        closed_at=write.parse_timestamp(entry["closed_at"]) if entry["closed_at"] else None,
        closed_by=entry["closed_by"],
        result=result,
        winner_position=result["winner"] if result else None,
        movies=[
            PollMovie(position=c["position"], **{key: c[key] for key in write.MOVIE_KEYS})
            for c in entry["candidates"]
        ],
        # In the file's order, so the ids (and the voters' order on the poll page) come out as they were.
        ballots=[_new_ballot(entry["id"], ballot) for ballot in entry["ballots"]],
    )
