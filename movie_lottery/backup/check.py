"""Checking an incoming backup: every entry validated and turned into the canonical form that export writes
(write.py), by the same rules the site's own writes use (the same-movie rule, the movie fields, the
lottery's draw and the poll's count). Raises InvalidInput with where and what; no database access.

Older formats still read: a version 1 file states no marks (``None`` in the checked entry), so a movie it
adds gets the defaults and one already there keeps its own; a file of version 1 or 2 has no polls; a file
without ratings or a viewing's ``poll_id`` has none.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any

from movie_lottery.backup.storable import refuse_unstorable_text
from movie_lottery.backup.write import (
    BALLOT_KEYS,
    CANDIDATE_KEYS,
    CHAT_KEYS,
    FORMAT,
    LIBRARY_KEYS,
    LOTTERY_KEYS,
    MARK_KEYS,
    MOVIE_KEYS,
    NIGHT_KEYS,
    POLL_KEYS,
    RATING_KEYS,
    TOP_KEYS,
    VIEWING_KEYS,
    canonical_number,
    parse_timestamp,
    rating_order,
    timestamp,
    viewing_order,
)
from movie_lottery.core.errors import InvalidInput
from movie_lottery.core.models import (
    LIBRARY_STATUSES,
    POLL_CLOSERS,
    POLL_RESULTS,
    POLL_VERIFICATIONS,
    RATING_MAX,
    RATING_MIN,
)
from movie_lottery.core.moments import check_recorded_moment
from movie_lottery.core.same_movie import normalise_text
from movie_lottery.core.text_rules import NAME_MESSAGE, TITLE_MAX, is_participant_name, shows_as_title
from movie_lottery.core.validation import DETAIL_FIELDS, FIRST_FILM_YEAR, load_movie, parse_day
from movie_lottery.integrations.magnet import InvalidMagnet, parse_magnet
from movie_lottery.integrations.telegram_mini_app import USER_ID_MAX
from movie_lottery.library.filters import effective_status, utc_today
from movie_lottery.library.ratings import MAX_RATINGS
from movie_lottery.library.viewings import check_exclusion_horizon, check_viewing_day
from movie_lottery.lottery.service import commitment_for, validate_candidates, winner_index
from movie_lottery.polls import voting
from movie_lottery.polls.service import (
    MAX_BALLOTS,
    PARTICIPANT_PATTERN,
    ballots_from,
    check_ballot,
    check_deadline,
    count_result,
)
from movie_lottery.telegram.binding import TITLE_MAX as CHAT_TITLE_MAX

READABLE_VERSIONS = (1, 2, 3)  # 1: before the library's marks and viewings; 2: before polls
TOP_KEYS_BEFORE_POLLS = ("format", "version", "library", "lotteries")
VIEWINGS_MAX = 10_000  # a movie watched every day for 27 years
RATINGS_MAX = 10_000  # of one library movie, over all its nights: a list this long stops at once
NIGHT_RATINGS_MAX = MAX_RATINGS  # of one night: the most the app takes (as MAX_BALLOTS for a poll)
LOTTERY_OPTIONAL = {"drawn_at": None, "winner_position": None, "auto_download": False}
POLL_OPTIONAL = {
    "results": "after_close",
    "veto": False,
    "auto_download": False,
    "verification": "none",
    "deadline": None,
    "closed_at": None,
    "closed_by": None,
    "result": None,
    "ballots": [],
}
# Whatever may change in a poll after its creation: the rest must match the database's poll exactly.
POLL_STATE_KEYS = ("closed_at", "closed_by", "result", "ballots")

_LOTTERY_ID = re.compile(r"[A-Za-z0-9_-]{1,16}")
_PLAY_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SEED = re.compile(r"[0-9a-f]{64}")
# A day field is checked by the API's own rule for it, by the field's name (library/viewings.py): a viewing
# not in the future, an exclusion's end not beyond the API's horizon (one already past has simply ended).
DAY_RULES = {"date": check_viewing_day, "excluded_until": check_exclusion_horizon}


def refuse(where: str, message: str) -> InvalidInput:
    return InvalidInput(f"{where}: {message}", code="invalid_backup")


# ---- checking an incoming document ----------------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    library: list[dict]
    lotteries: list[dict]
    polls: list[dict]
    chats: list[dict] = field(default_factory=list)  # the connected Telegram chats (none in older files)
    members_only_polls: list[str] = field(default_factory=list)  # polls for a connected chat's members


def check_backup(data: Any) -> Document:
    """Everything the import checks before it touches the database: the dry run an export is checked by
    before it counts (verify.py), and the first step of every import. Raises InvalidInput naming the place."""
    document = check_document(data)  # first: a field's own rule says it in the words of its place
    refuse_unstorable_text(data)  # then what no rule refused but no column can hold
    return document


def check_document(data: Any) -> Document:
    """Validate a whole document and return its entries in canonical form; raises InvalidInput."""
    where = "Резервная копия"
    if not isinstance(data, dict):
        raise refuse(where, "нужен JSON-объект")
    if data.get("format") != FORMAT:
        raise refuse(where, f"это не файл «{FORMAT}» (поле format)")
    version = data.get("version")
    if type(version) is not int or version not in READABLE_VERSIONS:
        *earlier, last = (str(number) for number in READABLE_VERSIONS)
        supported = f"{', '.join(earlier)} или {last}" if earlier else last
        raise refuse(where, f"версия {version!r} не поддерживается, нужна {supported}")
    _no_unknown_keys(data, TOP_KEYS if version >= 3 else TOP_KEYS_BEFORE_POLLS, where)
    library = [check_library_entry(raw, i + 1) for i, raw in enumerate(_list(data, "library", where))]
    lotteries = [check_lottery_entry(raw, i + 1) for i, raw in enumerate(_list(data, "lotteries", where))]
    polls = [check_poll_entry(raw, i + 1) for i, raw in enumerate(_list(data, "polls", where))]
    _unique(library, "kinopoisk_id", "Библиотека", "фильм с id Кинопоиска {} встречается дважды")
    _unique(library, "info_hash", "Библиотека", "раздача {} привязана к двум фильмам")
    _unique(lotteries, "id", "Лотереи", "лотерея {} встречается дважды")
    _unique(polls, "id", "Голосования", "голосование {} встречается дважды")
    viewings = [v for entry in library for v in entry["viewings"]]
    _unique(viewings, "lottery_id", "Библиотека", "лотерея {} отмечена просмотром у двух фильмов")
    _unique(viewings, "poll_id", "Библиотека", "голосование {} отмечено просмотром у двух фильмов")
    _check_nights(library)
    chats = [check_chat_entry(raw, i + 1) for i, raw in enumerate(_list(data, "telegram_chats", where))]
    _unique(chats, "chat_id", "Чаты Telegram", "чат {} встречается дважды")
    members_only = _members_only_polls(data, {poll["id"] for poll in polls})
    return Document(
        library=library, lotteries=lotteries, polls=polls, chats=chats, members_only_polls=members_only
    )


def _members_only_polls(data: dict, poll_ids: set[str]) -> list[str]:
    """Ids of polls in this file, each once: a rule of a poll the file does not bring would bind nothing."""
    where = "Голосования только для участников чата"
    given = _list(data, "telegram_members_only_polls", where)
    seen: set[str] = set()
    for index, poll_id in enumerate(given, start=1):
        if not isinstance(poll_id, str) or poll_id not in poll_ids:
            raise refuse(f"{where}, №{index}", "нужен id голосования из этой копии")
        if poll_id in seen:
            raise refuse(f"{where}, №{index}", f"голосование {poll_id} встречается дважды")
        seen.add(poll_id)
    return sorted(seen)


def check_chat_entry(raw: Any, index: int) -> dict:
    """A connected chat: Telegram's chat id (a whole number, not zero, within 52 bits as Telegram promises),
    its title as the bot saw it, and when it was connected."""
    where = f"Чаты Telegram, чат №{index}"
    entry = _object(raw, where, CHAT_KEYS, CHAT_KEYS)
    chat_id = entry["chat_id"]
    if type(chat_id) is not int or chat_id == 0 or abs(chat_id) >= 2**52:
        raise refuse(where, "chat_id — номер чата Telegram")
    title = entry["title"]
    if not isinstance(title, str) or len(title) > CHAT_TITLE_MAX:
        raise refuse(where, f"title — название чата, не длиннее {CHAT_TITLE_MAX} символов")
    return {"chat_id": chat_id, "title": title, "bound_at": _timestamp_field(entry, "bound_at", where)}


def check_library_entry(raw: Any, index: int) -> dict:
    where = f"Библиотека, фильм №{index}"
    entry = _object(raw, where, LIBRARY_KEYS, required=("name", "added_at"))
    name = entry.get("name")
    if isinstance(name, str) and len(name) <= TITLE_MAX and shows_as_title(name):
        where = f"{where} «{name.strip()}»"  # only a name that is safe to repeat in the message
    movie = _movie(entry, where)
    magnet_text, info_hash = entry.get("magnet"), entry.get("info_hash")
    magnet = None
    if magnet_text is not None:
        try:
            magnet = parse_magnet(magnet_text)
        except InvalidMagnet as exc:
            raise refuse(where, f"магнет-ссылка: {exc.message[:1].lower()}{exc.message[1:]}") from None
    if info_hash is not None and (magnet is None or info_hash != magnet.info_hash):
        raise refuse(where, "info_hash не совпадает с хэшем магнет-ссылки")
    return {
        **movie,
        "magnet": magnet.uri if magnet else None,
        "info_hash": magnet.info_hash if magnet else None,
        "added_at": _timestamp_field(entry, "added_at", where),
        **_marks(entry, where),
        "viewings": _viewings(entry.get("viewings", []), where),
        "ratings": _ratings(entry.get("ratings", []), where),
    }


def _marks(entry: dict, where: str, today: date | None = None) -> dict:
    """The movie's status, exclusion and «любимое»; all None when the file states none (version 1)."""
    given = [key for key in MARK_KEYS if key in entry]
    if not given:
        return dict.fromkeys(MARK_KEYS)
    if "status" not in entry:
        raise refuse(where, "excluded_until и favourite задаются вместе с полем status")
    status, until, favourite = entry["status"], entry.get("excluded_until"), entry.get("favourite", False)
    if status not in LIBRARY_STATUSES:
        raise refuse(where, "status — want, watched или excluded")
    if not isinstance(favourite, bool):
        raise refuse(where, "favourite — true или false")
    day = None
    if until is not None:
        if status != "excluded":
            raise refuse(where, "excluded_until бывает только у статуса excluded")
        day = _day(until, "excluded_until", where)
    if effective_status(status, day, today or utc_today()) != status:
        status, day = "want", None  # the exclusion has ended: as an export of today would say
    return {"status": status, "excluded_until": day.isoformat() if day else None, "favourite": favourite}


def _day(value: Any, key: str, where: str) -> date:
    try:
        day = parse_day(value)
        if day.year < FIRST_FILM_YEAR:
            raise InvalidInput(f"Не раньше {FIRST_FILM_YEAR} года", code="invalid_date")
        return DAY_RULES[key](day)
    except InvalidInput as exc:
        raise refuse(where, f"{key}: {exc.message[:1].lower()}{exc.message[1:]}") from None


def _viewings(raw: Any, where: str) -> list[dict]:
    """As the database holds them (0011): a viewing per night, of which one day may hold several, and at
    most one viewing per day recorded by hand (no night). A viewing of an older file that names a lottery
    and a poll at once (they shared a row before 0011) reads as one viewing per night. Whether a night is
    named twice across the library is check_document's job."""
    if not isinstance(raw, list):
        raise refuse(where, "поле viewings должно быть списком")
    if len(raw) > VIEWINGS_MAX:
        raise refuse(where, f"больше {VIEWINGS_MAX} просмотров")
    viewings: list[dict] = []
    by_hand: set[str] = set()
    for index, item in enumerate(raw):
        here = f"{where}, просмотр №{index + 1}"
        viewing = _object(item, here, VIEWING_KEYS, required=("date",))
        day = _day(viewing["date"], "date", here).isoformat()
        lottery_id, poll_id = viewing.get("lottery_id"), viewing.get("poll_id")
        if lottery_id is not None and (
            not isinstance(lottery_id, str) or not _LOTTERY_ID.fullmatch(lottery_id)
        ):
            raise refuse(here, "lottery_id — id лотереи или null")
        if poll_id is not None and (not isinstance(poll_id, str) or not _LOTTERY_ID.fullmatch(poll_id)):
            raise refuse(here, "poll_id — id голосования или null")
        if lottery_id is None and poll_id is None:
            if day in by_hand:
                raise refuse(here, f"просмотр {day} без лотереи и голосования встречается дважды")
            by_hand.add(day)
        nights = [(lottery_id, None), (None, poll_id)] if lottery_id and poll_id else [(lottery_id, poll_id)]
        viewings.extend({"date": day, "lottery_id": lot, "poll_id": poll} for lot, poll in nights)
    return sorted(viewings, key=viewing_order)


def _ratings(raw: Any, where: str) -> list[dict]:
    """A movie's ratings, each checked by the API's rules (score 1–10, a name as a ballot's, a participant
    cookie's value); whether a night's names and participants repeat is _check_nights's job."""
    if not isinstance(raw, list):
        raise refuse(where, "поле ratings должно быть списком оценок")
    if len(raw) > RATINGS_MAX:
        raise refuse(where, f"больше {RATINGS_MAX} оценок")
    ratings = []
    for index, item in enumerate(raw):
        here = f"{where}, оценка №{index + 1}"
        rating = _object(item, here, RATING_KEYS, required=("participant", "name", "score", "rated_at"))
        lottery_id, poll_id = rating.get("lottery_id"), rating.get("poll_id")
        for key, value in (("lottery_id", lottery_id), ("poll_id", poll_id)):
            if value is not None and (not isinstance(value, str) or not _LOTTERY_ID.fullmatch(value)):
                raise refuse(
                    here, f"{key} — id {'лотереи' if key == 'lottery_id' else 'голосования'} или null"
                )
        if lottery_id is not None and poll_id is not None:
            raise refuse(here, "оценка относится к лотерее или к голосованию, не к обоим сразу")
        participant, name, score = rating["participant"], rating["name"], rating["score"]
        if not isinstance(participant, str) or not PARTICIPANT_PATTERN.fullmatch(participant):
            raise refuse(here, "participant — от 20 до 64 латинских букв, цифр, «-» или «_»")
        if not is_participant_name(name):
            raise refuse(here, f"{NAME_MESSAGE[:1].lower()}{NAME_MESSAGE[1:]}")
        if type(score) is not int or not RATING_MIN <= score <= RATING_MAX:
            raise refuse(here, f"score — целое число от {RATING_MIN} до {RATING_MAX}")
        ratings.append(
            {
                "lottery_id": lottery_id,
                "poll_id": poll_id,
                "participant": participant,
                "name": name,
                "score": score,
                "rated_at": _timestamp_field(rating, "rated_at", here),
                "telegram_user_id": _telegram_user_id(rating, here),
            }
        )
    return sorted(ratings, key=rating_order)


def _check_nights(library: list[dict]) -> None:
    """Across the whole library (a night's ratings all name one movie, but the file is not trusted to):
    per lottery or poll at most NIGHT_RATINGS_MAX ratings, one per participant, one per name as ratings.rate
    keys it. A rating whose night was deleted is one per participant of its movie. One pass, sets only."""
    counts: dict[tuple, int] = {}
    participants: set[tuple] = set()
    names: dict[tuple, str] = {}
    for index, entry in enumerate(library):
        where = f"Библиотека, фильм «{entry['name']}»"
        for rating in entry["ratings"]:
            night = night_of(rating)
            if night is None:
                key = ("movie", index, rating["participant"])
                if key in participants:
                    raise refuse(where, f"участник {rating['participant'][:8]}… оценил его дважды")
                participants.add(key)
                continue
            counts[night] = counts.get(night, 0) + 1
            if counts[night] > NIGHT_RATINGS_MAX:
                raise refuse(where, f"у {night_name(night)} больше {NIGHT_RATINGS_MAX} оценок")
            if (night, rating["participant"]) in participants:
                raise refuse(where, f"у {night_name(night)} один участник оценивает дважды")
            name_key = (night, normalise_text(rating["name"])[:200])
            if name_key in names:
                raise refuse(where, f"у {night_name(night)} {_name_twice(names[name_key], rating['name'])}")
            account = rating["telegram_user_id"]
            if account is not None:
                if (night, "telegram", account) in participants:
                    raise refuse(where, f"у {night_name(night)} аккаунт Telegram {account} оценивает дважды")
                participants.add((night, "telegram", account))
            participants.add((night, rating["participant"]))
            names[name_key] = rating["name"]


def _name_twice(earlier: str, later: str) -> str:
    """Both spellings when they differ: the file decides which comes first, and the reader sees both."""
    if earlier == later:
        return f"имя «{later}» встречается дважды"
    return f"имя «{earlier}» встречается дважды (второй раз как «{later}»)"


def night_of(rating: dict) -> tuple[str, str] | None:
    for key in NIGHT_KEYS:
        if rating[key] is not None:
            return key, rating[key]
    return None


def night_name(night: tuple[str, str]) -> str:
    key, night_id = night
    return f"лотереи {night_id}" if key == "lottery_id" else f"голосования {night_id}"


def _check_reel_keys(entry: dict, noun: str, where: str, token_key: str) -> str:
    """A lottery's or a poll's id, seed, commitment and secret link token, checked alike; the place name for
    the rest of its messages, by its id («Лотерея Ab3dEf9h»)."""
    night_id = entry["id"]
    if not isinstance(night_id, str) or not _LOTTERY_ID.fullmatch(night_id):
        raise refuse(where, "id — от 1 до 16 латинских букв, цифр, «-» или «_»")
    where = f"{noun} {night_id}"
    seed, token = entry["seed"], entry[token_key]
    if not isinstance(seed, str) or not _SEED.fullmatch(seed):
        raise refuse(where, "seed — 64 шестнадцатеричных символа")
    if entry["commitment"] != commitment_for(seed):
        raise refuse(where, "commitment не равен sha256(seed) — файл повреждён")
    if not isinstance(token, str) or not _PLAY_TOKEN.fullmatch(token):
        raise refuse(where, f"{token_key} — до 64 латинских букв, цифр, «-» или «_»")
    return where


def check_lottery_entry(raw: Any, index: int) -> dict:
    where = f"Лотерея №{index}"
    entry = _object(
        raw, where, LOTTERY_KEYS, required=tuple(k for k in LOTTERY_KEYS if k not in LOTTERY_OPTIONAL)
    )
    entry = {**LOTTERY_OPTIONAL, **entry}
    where = _check_reel_keys(entry, "Лотерея", where, "play_token")
    lottery_id, seed, play_token = entry["id"], entry["seed"], entry["play_token"]
    if not isinstance(entry["auto_download"], bool):
        raise refuse(where, "auto_download — true или false")
    candidates = _candidates(entry["candidates"], where)
    winner = entry["winner_position"]
    drawn_at = _timestamp_field(entry, "drawn_at", where) if entry["drawn_at"] is not None else None
    if (winner is None) != (drawn_at is None):
        raise refuse(where, "winner_position и drawn_at задаются только вместе")
    names = [movie["name"] for movie in candidates]
    if winner is not None and (type(winner) is not int or winner != winner_index(seed, lottery_id, names)):
        raise refuse(where, "winner_position не тот, что даёт seed — файл повреждён")
    return {
        "id": lottery_id,
        "created_at": _timestamp_field(entry, "created_at", where),
        "drawn_at": drawn_at,
        "seed": seed,
        "commitment": entry["commitment"],
        "play_token": play_token,
        "winner_position": winner,
        "auto_download": entry["auto_download"],
        "candidates": [{"position": i, **movie} for i, movie in enumerate(candidates)],
    }


def check_poll_entry(raw: Any, index: int) -> dict:
    """A poll as the file states it, checked whole: its settings as polls.create_poll allows them, its
    ballots by the rule every ballot passes (polls.check_ballot), and a stored result that must be what
    those ballots and the seed give. Linear in the entry: at most MAX_BALLOTS ballots of at most 25 places."""
    where = f"Голосование №{index}"
    entry = _object(raw, where, POLL_KEYS, required=tuple(k for k in POLL_KEYS if k not in POLL_OPTIONAL))
    entry = {**POLL_OPTIONAL, **entry}
    where = _check_reel_keys(entry, "Голосование", where, "manage_token")
    poll_id, seed, manage_token = entry["id"], entry["seed"], entry["manage_token"]
    method = entry["method"]
    if method not in voting.METHODS:
        raise refuse(where, "method — approval или ranked")
    if entry["results"] not in POLL_RESULTS:
        raise refuse(where, "results — after_close или live")
    for key in ("veto", "auto_download"):
        if not isinstance(entry[key], bool):
            raise refuse(where, f"{key} — true или false")
    if entry["verification"] not in POLL_VERIFICATIONS:
        raise refuse(where, "verification — none или telegram")
    created_at = _timestamp_field(entry, "created_at", where)
    deadline = None
    if entry["deadline"] is not None:
        # As create_poll took it, counted from the poll's creation: a deadline may lie ahead of today.
        rule = partial(check_deadline, created_at=parse_timestamp(created_at))
        deadline = _timestamp_field(entry, "deadline", where, rule)
    closed_at = _timestamp_field(entry, "closed_at", where) if entry["closed_at"] is not None else None
    closed_by = entry["closed_by"]
    if (closed_at is None) != (closed_by is None):
        raise refuse(where, "closed_at и closed_by задаются только вместе")
    if closed_by is not None and closed_by not in POLL_CLOSERS:
        raise refuse(where, "closed_by — creator, admin или deadline")
    candidates = _candidates(entry["candidates"], where)
    names = [movie["name"] for movie in candidates]
    ballots = _ballots(entry["ballots"], where, method, names, entry["veto"])
    result = entry["result"]
    if result is not None:
        if closed_at is None:
            raise refuse(where, "result бывает только у закрытого голосования")
        counted = count_result(
            method, seed, poll_id, names, ballots_from(method, [(b["choices"], b["veto"]) for b in ballots]),
            closed=True,
        )  # fmt: skip
        if result != counted:
            raise refuse(where, "result не тот, что дают голоса и seed — файл повреждён")
        result = counted  # equal, and with its keys in the order a close stores them (the API's bytes)
    return {
        "id": poll_id,
        "created_at": created_at,
        "method": method,
        "results": entry["results"],
        "veto": entry["veto"],
        "auto_download": entry["auto_download"],
        "verification": entry["verification"],
        "deadline": deadline,
        "seed": seed,
        "commitment": entry["commitment"],
        "manage_token": manage_token,
        "closed_at": closed_at,
        "closed_by": closed_by,
        "result": result,
        "candidates": [{"position": i, **movie} for i, movie in enumerate(candidates)],
        "ballots": ballots,
    }


def _ballots(raw: Any, where: str, method: str, names: list[str], veto_allowed: bool) -> list[dict]:
    if not isinstance(raw, list):
        raise refuse(where, "поле ballots должно быть списком голосов")
    if len(raw) > MAX_BALLOTS:
        raise refuse(where, f"больше {MAX_BALLOTS} голосов")
    ballots, participants, name_keys, accounts = [], set(), {}, set()
    for index, item in enumerate(raw):
        here = f"{where}, голос №{index + 1}"
        ballot = _object(item, here, BALLOT_KEYS, required=("participant", "name", "choices", "cast_at"))
        participant, name, choices = ballot["participant"], ballot["name"], ballot["choices"]
        if not isinstance(participant, str) or not PARTICIPANT_PATTERN.fullmatch(participant):
            raise refuse(here, "participant — от 20 до 64 латинских букв, цифр, «-» или «_»")
        if not is_participant_name(name):
            raise refuse(here, f"{NAME_MESSAGE[:1].lower()}{NAME_MESSAGE[1:]}")
        if not isinstance(choices, list) or len(choices) > len(names):
            raise refuse(here, f"choices — список номеров фильмов, не больше {len(names)}")
        veto = ballot.get("veto")
        try:
            approve, ranking = (choices, None) if method == voting.APPROVAL else (None, choices)
            checked = check_ballot(method, names, veto_allowed, approve, ranking, veto)
        except InvalidInput as exc:
            raise refuse(here, exc.message) from None
        if method == voting.APPROVAL and choices != sorted(checked.approve):
            raise refuse(here, "choices голосования «за что готовы смотреть» идут по возрастанию")
        if participant in participants:
            raise refuse(here, "этот участник голосует дважды")
        key = normalise_text(name)[:200]  # as polls.store_ballot keys a name
        if key in name_keys:
            raise refuse(here, _name_twice(name_keys[key], name))
        account = _telegram_user_id(ballot, here)
        if account is not None and account in accounts:
            raise refuse(here, f"аккаунт Telegram {account} голосует дважды")
        accounts.add(account)
        participants.add(participant)
        name_keys[key] = name
        ballots.append(
            {
                "participant": participant,
                "name": name,
                "choices": list(choices),
                "veto": veto,
                "cast_at": _timestamp_field(ballot, "cast_at", here),
                "telegram_user_id": account,
            }
        )
    return ballots


def _telegram_user_id(entry: dict, where: str) -> int | None:
    """A ballot's or rating's Telegram account, as the Mini App's init data give it
    (integrations.telegram_mini_app)."""
    account = entry.get("telegram_user_id")
    if account is not None and (type(account) is not int or not 0 < account < USER_ID_MAX):
        raise refuse(where, "telegram_user_id — номер аккаунта Telegram или null")
    return account


def _candidates(raw: Any, where: str) -> list[dict]:
    if not isinstance(raw, list):
        raise refuse(where, "поле candidates должно быть списком фильмов")
    flat = []
    for index, item in enumerate(raw):
        here = f"{where}, фильм №{index + 1}"
        candidate = _object(item, here, CANDIDATE_KEYS, required=("position", "name"))
        if type(candidate["position"]) is not int or candidate["position"] != index:
            raise refuse(here, f"position должен быть {index}: фильмы идут по порядку")
        flat.append(_flat_movie(candidate, here))
    try:
        # The lottery's own rules (2–25 valid films), but duplicates as they were when it was made: an old
        # lottery with «Ёлки» and «Елки» was a fair draw and must come back from its backup.
        movies = validate_candidates(flat, refuse_duplicates=False)
    except InvalidInput as exc:
        raise refuse(where, exc.message) from None
    return [_canonical_movie(movie) for movie in movies]


def _movie(entry: dict, where: str) -> dict:
    try:
        movie = load_movie(_flat_movie(entry, where))
    except InvalidInput as exc:
        raise refuse(where, exc.message) from None
    return _canonical_movie(movie)


def _flat_movie(entry: dict, where: str) -> dict:
    """The movie in the API's flat shape (extras beside the fields), so schemas.load_movie can check it."""
    details = entry.get("details") or {}
    if not isinstance(details, dict):
        raise refuse(where, "поле details должно быть объектом")
    _no_unknown_keys(details, DETAIL_FIELDS, f"{where}, details")
    return {**{key: entry.get(key) for key in MOVIE_KEYS if key != "details"}, **details}


def _canonical_movie(movie: dict) -> dict:
    movie = {key: movie[key] for key in MOVIE_KEYS}
    movie["rating"] = canonical_number(movie["rating"])
    movie["details"] = {key: canonical_number(value) for key, value in movie["details"].items()}
    return movie


def _object(raw: Any, where: str, allowed: tuple[str, ...], required: tuple[str, ...]) -> dict:
    if not isinstance(raw, dict):
        raise refuse(where, "нужен JSON-объект")
    _no_unknown_keys(raw, allowed, where)
    missing = [key for key in required if key not in raw]
    if missing:
        raise refuse(where, f"нет поля {missing[0]}")
    return raw


def _no_unknown_keys(raw: dict, allowed: tuple[str, ...], where: str) -> None:
    # Ignoring an unknown field would silently drop data from a newer or hand-edited file: refuse instead.
    unknown = sorted(str(key) for key in raw if key not in allowed)
    if unknown:
        raise refuse(where, f"неизвестное поле {unknown[0]}")


def _list(data: dict, key: str, where: str) -> list:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise refuse(where, f"поле {key} должно быть списком")
    return value


def _timestamp_field(
    entry: dict, key: str, where: str, rule: Callable[[datetime], datetime] = check_recorded_moment
) -> str:
    """A moment in canonical form, within what the site could have recorded (core/moments.py) or, for a
    poll's deadline, what create_poll takes."""
    value = entry.get(key)
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise refuse(where, f"{key} — дата ISO 8601 с часовым поясом, например 2024-11-29T18:40:00Z")
    try:
        return timestamp(rule(parsed))
    except InvalidInput as exc:
        raise refuse(where, f"{key}: {exc.message[:1].lower()}{exc.message[1:]}") from None


def _unique(entries: list[dict], key: str, where: str, message: str) -> None:
    seen: set = set()
    for entry in entries:
        value = entry[key]
        if value is not None and value in seen:
            raise refuse(where, message.format(value))
        seen.add(value)
