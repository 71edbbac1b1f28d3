"""Group polls: create one, store ballots, close it exactly once, count it checkably.

A poll commits to a seed at creation exactly as a lottery does (reel.py); its ties go to the reel.

Closing, and why every acknowledged ballot counts, on any number of workers and with no scheduler:
- A ballot is written by ONE statement that also checks the poll: ``INSERT … SELECT … WHERE EXISTS (the poll,
  still open, before its deadline, FOR NO KEY UPDATE)`` (an upsert on the participant), and likewise its
  deletions. (Not FOR SHARE: a new ballot's trigger then updates the poll row's ``ballot_count``, and two
  ballots each holding a share lock would deadlock upgrading it.)
- Closing is ONE conditional UPDATE: ``SET closed_at … WHERE closed_at IS NULL`` (for the deadline also
  ``AND deadline <= now``). On PostgreSQL under READ COMMITTED the ballot's lock holds the poll row
  until the ballot commits, and the UPDATE must wait for it; a ballot that comes after the UPDATE waits for
  the UPDATE's commit and then sees the poll closed. On SQLite a write statement holds the database's write
  lock from its start, so the check and the write cannot be split by another writer.
  Either way: a ballot acknowledged (committed) before the close is in the table when the close commits,
  and none is added after.
- The cap (MAX_BALLOTS) is the database's: ``poll.ballot_count`` is kept by a trigger on ballot and held by a
  CHECK (0011), so ballots sent at once on a nearly full poll cannot pass it; the count read first only
  answers sooner. The CHECK's refusal is the same 409 ``poll_full``.
- Then the result is counted from those frozen ballots and stored once (``WHERE result IS NULL``). It is a
  function of the ballots and the seed only, so whoever counts — the closer, or any later reader that finds
  a closed poll without a result — stores the same thing.
- A deadline closes the poll lazily: the first read or write that finds it passed runs the conditional
  UPDATE (``closed_at`` is then the deadline itself, and ballots after it were already refused).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from movie_lottery.core import events, rate_limit, reel, telegram_names
from movie_lottery.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from movie_lottery.core.extensions import db
from movie_lottery.core.models import (
    NIGHT_ROWS_MAX,
    POLL_RESULTS,
    POLL_VERIFICATIONS,
    Poll,
    PollBallot,
    PollMovie,
    utcnow,
)
from movie_lottery.core.rate_limit import Origin
from movie_lottery.core.same_movie import normalise_text
from movie_lottery.core.storing import add_with_fresh_id, refused_by
from movie_lottery.core.text_rules import clean_participant_name
from movie_lottery.integrations.telegram_mini_app import TelegramUser
from movie_lottery.lottery.service import keep_the_night_without, validate_candidates
from movie_lottery.polls import bursts, voting

DEADLINE_MAX = timedelta(days=366)
MAX_BALLOTS = NIGHT_ROWS_MAX  # a poll page lists every voter: a script cannot bloat it past this (0011)
FULL_CHECK = "ck_poll_ballots_within_cap"
PARTICIPANT_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
# New participants per poll from one address (IPv6: one /64) per window: twelve friends on one home Wi-Fi
# get in within two minutes (eight at once, the rest a minute later), while a script with the link adds
# at most eight names a minute — 500 ballots take it over an hour, and its burst is one group the creator
# removes at once (bursts.py). Changing one's own ballot is never counted.
NEW_VOTERS_PER_WINDOW = 8
NEW_VOTER_WINDOW_SECONDS = 60
NEW_VOTER_WAIT = (
    "С вашего адреса (одна сеть Wi-Fi) только что проголосовали несколько человек подряд — так защищено"
    " голосование от накрутки. Подождите {wait} и отправьте голос ещё раз: выбор на странице сохранён."
)


class PollClosed(Conflict):
    code = "poll_closed"


CLOSED_MESSAGE = "Голосование уже закрыто — голоса больше не принимаются"
TELEGRAM_ONLY = (
    "В этом голосовании голосуют только через Telegram: откройте его кнопкой из чата группы — имя"
    " подставится само"
)


# ---- creating -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedPoll:
    poll: Poll
    manage_token: str


def check_deadline(deadline: datetime, created_at: datetime) -> datetime:
    """A poll's deadline as the API takes it: after the poll's creation, and at most DEADLINE_MAX later.
    The one rule: a backup's import checks a poll's deadline against its ``created_at`` by it too."""
    if deadline.tzinfo is None:
        raise InvalidInput("Срок — дата и время с часовым поясом", code="invalid_deadline")
    if deadline <= created_at:
        raise InvalidInput("Срок уже прошёл — выберите время позже", code="invalid_deadline")
    if deadline > created_at + DEADLINE_MAX:
        raise InvalidInput("Срок — не дальше чем через год", code="invalid_deadline")
    return deadline


def create_poll(
    raw_movies: object,
    *,
    method: str = voting.APPROVAL,
    deadline: datetime | None = None,
    results: str = "after_close",
    veto: bool = False,
    auto_download: bool = False,
    verification: str = "none",
    send_to_chat: bool = False,
    now: datetime | None = None,
    also: Callable[[Poll], None] | None = None,
) -> CreatedPoll:
    """The same 2–25 candidates as a lottery, checked the same way; the settings as the issue fixes them.
    ``verification="telegram"``: only voters whose Mini App init data Telegram signed (store_ballot).
    ``also``: adds rows that belong with the new poll (the bot's sendPoll) to its transaction.
    ``send_to_chat``: the bot posts its card to the bound chats (in this transaction, telegram/posts.py)."""
    movies = validate_candidates(raw_movies, container="одном голосовании")
    if verification not in POLL_VERIFICATIONS:
        raise InvalidInput("Кто голосует: none или telegram", code="invalid_verification")
    if method not in voting.METHODS:
        raise InvalidInput("Способ: approval или ranked", code="invalid_method")
    if results not in POLL_RESULTS:
        raise InvalidInput("Результаты: after_close или live", code="invalid_results")
    now = now or utcnow()
    if deadline is not None:
        check_deadline(deadline, now)

    def build(poll_id: str) -> Poll:
        seed = reel.new_seed()
        row = Poll(
            id=poll_id,
            created_at=now,
            method=method,
            results=results,
            veto=bool(veto),
            auto_download=bool(auto_download),
            verification=verification,
            deadline=deadline,
            seed=seed,
            commitment=reel.commitment_for(seed),
            manage_token=reel.new_token(),
            movies=[PollMovie(position=i, **movie) for i, movie in enumerate(movies)],
        )
        events.emit(
            events.NIGHT_CREATED, kind="poll", night_id=poll_id, movies=movies, send_to_chat=send_to_chat
        )
        return row

    def build_with_rows(poll_id: str) -> Poll:
        poll = build(poll_id)
        if also is not None:
            also(poll)
        return poll

    poll = add_with_fresh_id(build_with_rows)
    return CreatedPoll(poll=poll, manage_token=poll.manage_token)


# ---- reading (and noticing a deadline) ----------------------------------------------------------------


def _load(poll_id: str, ballots: bool = True) -> Poll | None:
    options = [selectinload(Poll.movies), *([selectinload(Poll.ballots)] if ballots else [])]
    return db.session.scalars(
        sa.select(Poll).where(Poll.id == poll_id).options(*options).execution_options(populate_existing=True)
    ).one_or_none()


def get_poll(poll_id: str, now: datetime | None = None, *, ballots: bool = True) -> Poll:
    """The poll and its candidates (and its ballots, unless a write needs only its own one). A passed
    deadline closes it first; a closed poll not yet counted is counted."""
    poll = _load(poll_id, ballots)
    if poll is None:
        raise NotFound("Такого голосования нет — проверьте ссылку", code="poll_not_found")
    if poll.closed_at is None and is_due(poll, now):
        close_due(poll.id, now)
        poll = _load(poll_id, ballots)
    if poll.closed_at is not None and poll.result is None:
        poll = _store_result(poll.id, ballots)
    return poll


def is_due(poll: Poll, now: datetime | None = None) -> bool:
    return poll.deadline is not None and poll.deadline <= (now or utcnow())


def manage_token_matches(poll: Poll, token: str | None) -> bool:
    return reel.token_matches(poll.manage_token, token)


# ---- ballots ------------------------------------------------------------------------------------------


def _accepting(poll_id: str, now: datetime) -> sa.Exists:
    """The poll is open and before its deadline; on PostgreSQL its row is held (FOR NO KEY UPDATE) until
    commit, as the ballot counter's trigger will hold it anyway."""
    return sa.exists(
        sa.select(Poll.id)
        .where(
            Poll.id == poll_id,
            Poll.closed_at.is_(None),
            sa.or_(Poll.deadline.is_(None), Poll.deadline > now),
        )
        .with_for_update(key_share=True)
    )


def _dialect():
    return postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite


def clean_name(raw: object) -> str:
    """A voter's or a rater's name in its kept form, by the one name rule (core.text_rules)."""
    return clean_participant_name(raw)


def check_choices(poll: Poll, approve: list | None, ranking: list | None, veto: int | None) -> voting.Ballot:
    """A ballot is whole and valid or refused: the right field for the method, every position known, once."""
    names = [movie.name for movie in poll.movies]
    ballot = check_ballot(poll.method, names, poll.veto, approve, ranking, veto)
    if ballot.veto is not None and not (ballot.approve or ballot.ranking):
        # A veto comes with a vote: otherwise one invented name per movie vetoes every movie a friend chose
        # and leaves a winner nobody wanted. Counting is unchanged (stored ballots count as they always did).
        what = (
            "отметьте «да» хотя бы одному фильму"
            if poll.method == voting.APPROVAL
            else ("расставьте по местам хотя бы один фильм")
        )
        raise InvalidInput(f"Вето — только вместе с голосом: {what}", code="veto_without_vote")
    if poll.method == voting.RANKED and not ballot.ranking:
        # It would be counted (one more «Голосов») and change nothing: say so instead. A backup's old empty
        # ballots still restore: this rule is the API's, not check_ballot's.
        message = "Расставьте по местам хотя бы один фильм: пустой бюллетень ничего не изменит"
        raise InvalidInput(message, code="empty_ranking")
    return ballot


def check_ballot(
    method: str,
    names: list[str],
    veto_allowed: bool,
    approve: list | None,
    ranking: list | None,
    veto: int | None,
) -> voting.Ballot:
    """The ballot rule on plain values (the API's ballots and a backup's): linear in the ballot."""
    size = len(names)
    if method == voting.APPROVAL:
        if ranking is not None or approve is None:
            raise InvalidInput(
                "В этом голосовании отвечают «да» или «нет»: нужен список approve", code="wrong_ballot"
            )
        chosen = approve
    else:
        if approve is not None or ranking is None:
            raise InvalidInput("В этом голосовании фильмы расставляют по местам: нужен список ranking",
                               code="wrong_ballot")  # fmt: skip
        chosen = ranking
    seen: set[int] = set()
    for position in chosen:
        if not isinstance(position, int) or isinstance(position, bool) or not 0 <= position < size:
            raise InvalidInput(f"Такого фильма нет в голосовании: {position}", code="unknown_movie")
        if position in seen:
            raise InvalidInput(f"«{names[position]}» указан дважды", code="duplicate_choice")
        seen.add(position)
    if veto is not None:
        if not veto_allowed:
            raise InvalidInput("В этом голосовании нет вето", code="veto_not_allowed")
        if not isinstance(veto, int) or isinstance(veto, bool) or not 0 <= veto < size:
            raise InvalidInput(f"Такого фильма нет в голосовании: {veto}", code="unknown_movie")
        if veto in seen:
            raise InvalidInput(
                f"Нельзя одновременно выбрать «{names[veto]}» и наложить на него вето",
                code="veto_conflict",
            )
    if method == voting.APPROVAL:
        return voting.Ballot(approve=frozenset(chosen), veto=veto)
    return voting.Ballot(ranking=tuple(chosen), veto=veto)


def stored_choices(ballot: voting.Ballot) -> list[int]:
    return sorted(ballot.approve) if ballot.approve or not ballot.ranking else list(ballot.ranking)


@dataclass(frozen=True)
class StoredBallot:
    participant: str
    name: str
    method: str
    ballot: voting.Ballot


def valid_participant(value: str | None) -> str | None:
    """A participant cookie's value, or None when absent or not one we could have made."""
    return value if value and PARTICIPANT_PATTERN.fullmatch(value) else None


def store_ballot(
    poll_id: str,
    participant: str | None,
    *,
    name: object = None,
    approve: list | None = None,
    ranking: list | None = None,
    veto: int | None = None,
    now: datetime | None = None,
    origin: Origin | None = None,
    telegram_user: TelegramUser | None = None,
    _counted: bool = False,
) -> StoredBallot:
    """Store or replace the participant's whole ballot, in one statement that checks the poll is open.

    ``origin``: where a request came from (None for the owner's own machine and the admin: not counted). A
    new participant from it is counted against NEW_VOTERS_PER_WINDOW first (TooManyRequests past it).
    ``telegram_user``: the Telegram account the Mini App's init data proved. Its ballot is one per account
    (a unique index), under its Telegram name made unique in the poll; a ``name`` sent is not used. A poll
    with ``verification="telegram"`` takes no other ballot (403 ``telegram_required``)."""
    now = now or utcnow()
    poll = get_poll(poll_id, now, ballots=False)
    if poll.closed_at is not None:
        raise PollClosed(CLOSED_MESSAGE)
    if poll.verification == "telegram" and telegram_user is None:
        raise Forbidden(TELEGRAM_ONLY, code="telegram_required")
    ballot = check_choices(poll, approve, ranking, veto)
    existing = find_ballot(poll.id, participant)
    if existing is None and telegram_user is not None:
        existing = _telegram_ballot(poll.id, telegram_user.id)
    participant = existing.participant if existing else valid_participant(participant)
    if existing is None and poll.ballot_count >= MAX_BALLOTS:
        raise _poll_full()
    if telegram_user is not None:
        name = existing.name if existing else _free_telegram_name(poll.id, telegram_user)
    if name is None:
        if existing is None:
            raise InvalidInput(
                "Как вас зовут? Имя нужно, чтобы все видели, кто проголосовал", code="name_required"
            )
        name = existing.name
    name = clean_name(name)
    if existing is None and origin is not None and not _counted:
        rate_limit.require(
            f"ballot:{poll.id}",
            origin.key,
            limit=NEW_VOTERS_PER_WINDOW,
            window=NEW_VOTER_WINDOW_SECONDS,
            message=NEW_VOTER_WAIT,
            now=now.timestamp(),
        )
    participant = participant or reel.new_token()
    table = PollBallot.__table__
    row = {
        "poll_id": poll.id,
        "participant": participant,
        "name": name,
        "name_key": normalise_text(name)[:200],
        "choices": stored_choices(ballot),
        "veto": ballot.veto,
        "cast_at": now,
        "origin": origin.tag if origin else None,
        "arrived_at": now,  # kept on a replacement (not in the update below): when this participant came
        "telegram_user_id": telegram_user.id if telegram_user else None,  # kept on a replacement too
    }
    columns = list(row)
    dialect = _dialect()
    typed = [sa.literal(row[c], table.c[c].type) for c in columns]
    if dialect is postgresql:  # a SELECT list's parameters are text there unless cast; SQLite has no types
        typed = [sa.cast(value, table.c[c].type) for value, c in zip(typed, columns, strict=True)]
    values = sa.select(*typed).where(_accepting(poll.id, now))
    insert = dialect.insert(table).from_select(columns, values)
    statement = insert.on_conflict_do_update(
        index_elements=[table.c.poll_id, table.c.participant],
        set_={c: insert.excluded[c] for c in ("name", "name_key", "choices", "veto", "cast_at")},
    )
    try:
        stored = db.session.execute(statement).rowcount
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        if refused_by(error, FULL_CHECK):
            raise _poll_full() from None
        if telegram_user is not None and not _counted:
            # Another voter took this Telegram name a moment ago (or this account's first ballot landed in
            # another request): once more, which finds that ballot or the next free name. Counted once.
            return store_ballot(
                poll_id, participant, approve=approve, ranking=ranking, veto=veto, now=now, origin=origin,
                telegram_user=telegram_user, _counted=True,
            )  # fmt: skip
        raise Conflict(f"Имя «{name}» в этом голосовании уже занято — добавьте, например, фамилию",
                       code="name_taken") from None  # fmt: skip
    if stored != 1:
        get_poll(poll.id, now)  # the deadline passed just now: it closes (and counts) here
        raise PollClosed(CLOSED_MESSAGE)
    return StoredBallot(participant=participant, name=name, method=poll.method, ballot=ballot)


def _telegram_ballot(poll_id: str, telegram_user_id: int) -> PollBallot | None:
    return db.session.scalars(
        sa.select(PollBallot).where(
            PollBallot.poll_id == poll_id, PollBallot.telegram_user_id == telegram_user_id
        )
    ).one_or_none()


def name_key(name: str) -> str:
    """A participant name as the night compares names (case, spacing, ё/е)."""
    return normalise_text(name)[:200]


def _free_telegram_name(poll_id: str, user: TelegramUser) -> str:
    """The user's Telegram name, made unique among the poll's voters («Аня», «Аня (@anya)», «Аня (2)»).
    Two friends with one name at the same instant: the second insert meets the unique name key, and
    store_ballot tries once more, which picks the next free one."""
    taken = set(db.session.scalars(sa.select(PollBallot.name_key).where(PollBallot.poll_id == poll_id)))
    return telegram_names.unique_name(user, taken, name_key)


def _poll_full() -> Conflict:
    return Conflict(f"В этом голосовании уже {MAX_BALLOTS} голосов — больше не принимаем", code="poll_full")


def name_taken(poll: Poll, name: str, participant: str | None) -> bool:
    """Is ``name`` someone else's in this poll? The ballot's own rule (``name_key``: case, spacing and ё/е
    don't matter), asked before the ballot is filled in: the one the name belongs to may keep it."""
    key = normalise_text(clean_name(name))[:200]
    holder = db.session.scalar(
        sa.select(PollBallot.participant).where(PollBallot.poll_id == poll.id, PollBallot.name_key == key)
    )
    return holder is not None and holder != participant


def find_ballot(poll_id: str, participant: str | None) -> PollBallot | None:
    """This participant's ballot, by the (poll, participant) unique key: one row, however many voted."""
    participant = valid_participant(participant)
    if participant is None:
        return None
    return db.session.scalars(
        sa.select(PollBallot).where(PollBallot.poll_id == poll_id, PollBallot.participant == participant)
    ).one_or_none()


def own_ballot(poll: Poll, participant: str | None) -> PollBallot | None:
    return find_ballot(poll.id, participant)


def require_own_ballot(poll: Poll, participant: str | None) -> PollBallot:
    mine = own_ballot(poll, participant)
    if mine is None:
        raise NotFound("Вашего голоса в этом голосовании нет", code="ballot_not_found")
    return mine


def _delete_ballots(poll: Poll, condition: sa.ColumnElement, now: datetime) -> int:
    deleted = db.session.execute(
        sa.delete(PollBallot)
        .where(PollBallot.poll_id == poll.id, condition, _accepting(poll.id, now))
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return deleted


def delete_own_ballot(poll_id: str, participant: str | None, now: datetime | None = None) -> None:
    now = now or utcnow()
    poll = get_poll(poll_id, now, ballots=False)
    if poll.closed_at is not None:
        raise PollClosed(CLOSED_MESSAGE)
    mine = require_own_ballot(poll, participant)
    if _delete_ballots(poll, PollBallot.participant == mine.participant, now) != 1:
        get_poll(poll.id, now)
        raise PollClosed(CLOSED_MESSAGE)


def withdraw_telegram_ballot(poll_id: str, telegram_user_id: int, now: datetime | None = None) -> bool:
    """The account's ballot withdrawn (it retracted its answer in the chat's own poll) while the poll is
    open; True when there was one to withdraw."""
    now = now or utcnow()
    poll = get_poll(poll_id, now, ballots=False)
    if poll.closed_at is not None:
        return False
    return _delete_ballots(poll, PollBallot.telegram_user_id == telegram_user_id, now) == 1


def _authorise(poll: Poll, token: str | None, by_admin: bool) -> None:
    if not by_admin and not manage_token_matches(poll, token):
        raise Forbidden("Это может только создатель голосования — по ссылке для управления", code="bad_token")


FROZEN = "Голосование закрыто: его голоса больше не меняются"


def _managed_open_poll(poll_id: str, token: str | None, by_admin: bool, now: datetime) -> Poll:
    poll = get_poll(poll_id, now)
    _authorise(poll, token, by_admin)
    if poll.closed_at is not None:
        raise PollClosed(FROZEN)
    return poll


def remove_ballot(
    poll_id: str, name: str, token: str | None, by_admin: bool = False, now: datetime | None = None
) -> None:
    """The creator (manage token) or the admin removes one participant's ballot while the poll is open."""
    now = now or utcnow()
    poll = _managed_open_poll(poll_id, token, by_admin, now)
    key = normalise_text(name)[:200]
    if not any(b.name_key == key for b in poll.ballots):
        raise NotFound(f"Голоса «{name}» в этом голосовании нет", code="ballot_not_found")
    if _delete_ballots(poll, PollBallot.name_key == key, now) != 1:
        get_poll(poll.id, now)
        raise PollClosed(FROZEN)


def remove_ballot_by_id(
    poll_id: str, ballot_id: int, token: str | None, by_admin: bool = False, now: datetime | None = None
) -> str:
    """As remove_ballot, by the ballot's id: what the manage page sends, since a name such as «..» cannot
    travel in a path (browsers resolve dot segments, even %2E%2E). Answers the removed voter's name."""
    now = now or utcnow()
    poll = _managed_open_poll(poll_id, token, by_admin, now)
    name = next((b.name for b in poll.ballots if b.id == ballot_id), None)
    if name is None:
        raise NotFound("Такого голоса в этом голосовании нет", code="ballot_not_found")
    if _delete_ballots(poll, PollBallot.id == ballot_id, now) != 1:
        get_poll(poll.id, now)
        raise PollClosed(FROZEN)
    return name


def ballot_bursts(poll: Poll) -> list[bursts.Burst]:
    """The poll's ballots that came from one address in a burst, as the creator's page groups them."""
    return bursts.bursts(bursts.Entry(b.id, b.origin, b.arrived_at) for b in poll.ballots)


def managed_bursts(
    poll_id: str, token: str | None, by_admin: bool = False
) -> tuple[Poll, list[bursts.Burst]]:
    """The poll and its bursts, for its creator (manage token) or the admin."""
    poll = get_poll(poll_id)
    _authorise(poll, token, by_admin)
    return poll, ballot_bursts(poll)


def remove_burst(
    poll_id: str, burst_id: str, token: str | None, by_admin: bool = False, now: datetime | None = None
) -> list[str]:
    """Remove every ballot of one burst (as ballot_bursts finds it now, so a burst still growing goes
    whole), in one statement while the poll is open. Answers the removed voters' names."""
    now = now or utcnow()
    poll = _managed_open_poll(poll_id, token, by_admin, now)
    burst = next((b for b in ballot_bursts(poll) if b.id == burst_id), None)
    if burst is None:
        raise NotFound("Такой группы голосов нет — обновите страницу", code="group_not_found")
    names = [b.name for b in poll.ballots if b.id in burst.ids]
    if not _delete_ballots(poll, PollBallot.id.in_(burst.ids), now):
        get_poll(poll.id, now)
        raise PollClosed(FROZEN)
    return names


# ---- closing and counting -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CloseResult:
    poll: Poll
    newly_closed: bool  # False when this call found the poll already closed


def close(
    poll_id: str, token: str | None, by_admin: bool = False, now: datetime | None = None
) -> CloseResult:
    """Close the poll (creator's token or the admin) and count it; on a closed poll, its stored result."""
    now = now or utcnow()
    poll = get_poll(poll_id, now)
    _authorise(poll, token, by_admin)
    if poll.closed_at is not None:
        return CloseResult(poll, newly_closed=False)
    closed = db.session.execute(
        sa.update(Poll)
        .where(Poll.id == poll.id, Poll.closed_at.is_(None))
        .values(closed_at=now, closed_by="creator" if not by_admin else "admin")
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return CloseResult(get_poll(poll.id, now), newly_closed=closed == 1)


def close_due(poll_id: str, now: datetime | None = None) -> bool:
    """Close a poll whose deadline has passed, once; True when this call closed it."""
    now = now or utcnow()
    closed = db.session.execute(
        sa.update(Poll)
        .where(Poll.id == poll_id, Poll.closed_at.is_(None), Poll.deadline <= now)
        .values(closed_at=Poll.deadline, closed_by="deadline")
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return closed == 1


def ballots_of(poll: Poll) -> list[voting.Ballot]:
    return ballots_from(poll.method, [(b.choices, b.veto) for b in poll.ballots])


def ballots_from(method: str, stored: list[tuple[list, int | None]]) -> list[voting.Ballot]:
    """Stored ballots (choices, veto) as the counter takes them."""
    if method == voting.APPROVAL:
        return [voting.Ballot(approve=frozenset(choices), veto=veto) for choices, veto in stored]
    return [voting.Ballot(ranking=tuple(choices), veto=veto) for choices, veto in stored]


def count_poll(poll: Poll) -> dict:
    """The result as the API shows it; ``winner`` is the reel's pick among the tied only once closed."""
    names = [movie.name for movie in poll.movies]
    closed = poll.closed_at is not None
    return count_result(poll.method, poll.seed, poll.id, names, ballots_of(poll), closed=closed)


def count_result(
    method: str, seed: str, poll_id: str, names: list[str], ballots: list[voting.Ballot], *, closed: bool
) -> dict:
    """The result of these ballots on plain values: what a close stores, and what a backup is checked by."""
    counted = voting.count(method, len(names), ballots)
    if closed:
        winner = voting.break_tie(seed, poll_id, names, counted.tied)
    else:
        winner = counted.tied[0] if len(counted.tied) == 1 else None  # live: a tie stays open until the close
    result = {
        "winner": winner,
        "tied": list(counted.tied),
        "ballots": counted.ballots,
        "vetoes": list(counted.vetoes),
        "excluded": list(counted.excluded),
    }
    if counted.counts is not None:
        result["counts"] = list(counted.counts)
    else:
        result["pairwise"] = [list(row) for row in counted.pairwise]
    return result


def _store_result(poll_id: str, ballots: bool = True) -> Poll:
    """Count the closed poll's ballots and store the result, once (everyone computes the same one)."""
    poll = _load(poll_id)
    result = count_poll(poll)
    stored = db.session.execute(
        sa.update(Poll)
        .where(Poll.id == poll.id, Poll.closed_at.is_not(None), Poll.result.is_(None))
        .values(result=result, winner_position=result["winner"])
        .execution_options(synchronize_session=False)
    ).rowcount
    if stored == 1:  # once, in the result's own transaction: the bot's post of it (telegram/posts.py)
        events.emit(events.POLL_RESULT, poll_id=poll.id, result=result)
    db.session.commit()
    poll = _load(poll_id, ballots)
    if stored == 1 and poll.auto_download:  # once, by whoever stored the result: the closer or a reader
        from movie_lottery.downloads.status import queue_auto_download

        queue_auto_download(poll)  # stores the wish only; never raises
    return poll


def delete_poll(poll_id: str) -> None:
    poll = _load(poll_id)
    if poll is None:
        raise NotFound("Такого голосования нет — проверьте ссылку", code="poll_not_found")
    keep_the_night_without("poll_id", poll.id)
    db.session.delete(poll)
    db.session.commit()


# ---- what a reader may see ----------------------------------------------------------------------------


def status_of(poll: Poll) -> str:
    return "open" if poll.closed_at is None else "closed"


def result_shown(poll: Poll) -> bool:
    return poll.closed_at is not None or poll.results == "live"


def shown_result(poll: Poll) -> dict | None:
    """The result once shown (live, or after the close): the stored one once closed, else counted now."""
    if not result_shown(poll):
        return None
    return poll.result if poll.closed_at is not None else count_poll(poll)


def revealed_seed(poll: Poll) -> str | None:
    """The seed once closed; before that it would tell how a tie will be broken."""
    return poll.seed if poll.closed_at is not None else None


def voters(poll: Poll) -> list[str]:
    """Who has voted, in the order they first did (a replaced ballot keeps its place)."""
    return [ballot.name for ballot in poll.ballots]


def as_stored(ballot: PollBallot, method: str) -> StoredBallot:
    """A stored row as the ballot it records."""
    (choices,) = ballots_from(method, [(ballot.choices, ballot.veto)])
    return StoredBallot(participant=ballot.participant, name=ballot.name, method=method, ballot=choices)
