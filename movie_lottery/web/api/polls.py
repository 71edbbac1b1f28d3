"""/api/polls: create a poll, cast and withdraw ballots, read it, close it, remove a ballot."""

from __future__ import annotations

from flask import Response, current_app, jsonify

from movie_lottery.core.config import telegram_configured
from movie_lottery.core.errors import InvalidInput
from movie_lottery.core.models import LibraryMovie as LibraryMovieRow
from movie_lottery.core.models import Poll as PollRow
from movie_lottery.library import viewings
from movie_lottery.polls import service as polls
from movie_lottery.polls.service import StoredBallot
from movie_lottery.telegram import native_polls
from movie_lottery.telegram.worker import worker_for
from movie_lottery.web.api.docs.openapi import ApiBlueprint
from movie_lottery.web.api.event_stream import EVENTS_DOC, STREAM_REFUSALS, event_stream
from movie_lottery.web.api.schemas.base import Linked, dump_text
from movie_lottery.web.api.schemas.library import LibraryMovie, ViewingSchema
from movie_lottery.web.api.schemas.polls import (
    OWN_BALLOT,
    POLL,
    BallotRemovalSchema,
    BallotSchema,
    Bursts,
    CreatedPoll,
    ManageQuery,
    ManageSchema,
    NameCheck,
    NameCheckQuery,
    OwnBallot,
    Poll,
    PollCreateSchema,
    Removed,
)
from movie_lottery.web.api.shared import conditional_json, conditional_read, no_content, poll_links
from movie_lottery.web.chat_members import (
    MEMBERS_OF_CHAT_REFUSALS,
    check_members_of_chat,
    require_member,
    restrict_to_members,
)
from movie_lottery.web.guards.auth import public, signed_in_admin
from movie_lottery.web.guards.rate_limits import limited_create, request_origin
from movie_lottery.web.participants import participant_of, participant_to_store
from movie_lottery.web.rendering.page_cache import cached, keep_until
from movie_lottery.web.telegram_auth import TELEGRAM_REFUSALS, telegram_user

bp = ApiBlueprint("api_polls", __name__, url_prefix="/api")

# not_found: an id no poll can have (web.converters), refused before any query.
NOT_FOUND = {404: ["poll_not_found", "not_found"]}
CLOSED = {409: ["poll_closed"]}
BALLOT_REFUSALS = [
    "wrong_ballot",
    "unknown_movie",
    "duplicate_choice",
    "veto_not_allowed",
    "veto_conflict",
    "name_required",
    "veto_without_vote",
    "empty_ranking",
]
TOO_MANY = {429: ["too_many_requests"]}


def poll_answer(poll: PollRow, *, admin: bool) -> Linked:
    return Linked(poll, poll_links(poll.id, poll.manage_token if admin else None))


@bp.post("/polls")
@bp.arguments(PollCreateSchema())
@bp.response(201, CreatedPoll)
@bp.refuses(
    {
        400: [
            "duplicate_movie",
            "telegram_not_configured",
            "telegram_poll_unavailable",
            *MEMBERS_OF_CHAT_REFUSALS,
        ],
        **TOO_MANY,
    }
)
@limited_create
def create_poll(body: dict) -> Linked:
    """Создать голосование

    Кандидаты те же, что у лотереи (2–25, без повторов). В ответе — ссылка на голосование для всех и ссылка
    управления с токеном для создателя: её сохраните. Как и лотерея, голосование сразу фиксирует `seed`
    (`commitment`): он раскрывается при закрытии и разбивает ничью.
    """
    if body["verification"] == "telegram" and not telegram_configured(current_app.config):
        raise InvalidInput(
            "Голосование только через Telegram возможно, когда бот настроен (TELEGRAM_BOT_TOKEN)",
            code="telegram_not_configured",
        )
    native = body["telegram_poll"]
    if native:  # refused before anything is stored, with the reason
        native_polls.require_offerable(
            method=body["method"],
            results=body["results"],
            movie_count=len(body["movies"]),
            configured=telegram_configured(current_app.config),
        )
    if body["members_of_chat"]:
        check_members_of_chat(body["verification"])
    created = polls.create_poll(
        body["movies"],
        method=body["method"],
        deadline=body["deadline"],
        results=body["results"],
        veto=body["veto"],
        auto_download=body["auto_download"],
        verification=body["verification"],
        also=native_polls.announce if native else None,  # its sendPoll rows, in the poll's transaction
        send_to_chat=body["send_to_chat"],
    )
    if native:
        worker_for(current_app).wake()  # stored; the bot's worker posts it in a moment
    if body["members_of_chat"]:  # right after the poll: a crash between the two leaves it open to any voter
        restrict_to_members(created.poll.id)
    return poll_answer(created.poll, admin=True)


@bp.get("/polls/<poll_id>")
@public
@conditional_read(bp, Poll)
@bp.refuses(NOT_FOUND)
def get_poll(poll_id: str) -> Response:
    """Голосование

    Его опрашивают страницы голосования. Кто проголосовал, видно всегда, как — только вместе с результатом:
    при `live` пока открыто, иначе после закрытия. `seed` появляется после закрытия, ссылка управления —
    только администратору. Голосование с прошедшим сроком закрывает (и подсчитывает) первое же чтение, которое
    это заметит.
    """
    return conditional_json(_poll_text(poll_id, admin=signed_in_admin()))


@bp.get("/polls/<poll_id>/events")
@public
@bp.doc(responses={"200": EVENTS_DOC})
@bp.refuses({**STREAM_REFUSALS, **NOT_FOUND})
def poll_events(poll_id: str) -> Response:
    """Голосование, поток событий

    То же, что чтение голосования, но сервер сам присылает его заново, когда оно меняется: новый голос,
    закрытие, итоги (и срок: его замечает поток, как первое чтение).
    """
    admin = signed_in_admin()
    return event_stream(lambda: _poll_text(poll_id, admin=admin))


@cached()
def _poll_text(poll_id: str, *, admin: bool) -> str:
    """Kept until the data moves, like a lottery; an open poll's only until its deadline: the first read
    after it closes the poll."""
    poll = polls.get_poll(poll_id)  # 404 raises: nothing is kept
    if poll.closed_at is None:
        keep_until(poll.deadline)
    return dump_text(POLL, poll_answer(poll, admin=admin))


@bp.put("/polls/<poll_id>/ballot")
@public
@bp.arguments(BallotSchema())
@bp.response(200, OwnBallot)
@bp.refuses(
    {400: BALLOT_REFUSALS, 409: ["poll_closed", "name_taken", "poll_full"],
     403: ["telegram_required", "not_chat_member"], 503: ["telegram_unavailable"],
     **TELEGRAM_REFUSALS, **NOT_FOUND, **TOO_MANY}
)  # fmt: skip
def put_ballot(body: dict, poll_id: str) -> Response:
    """Проголосовать или заменить свой бюллетень

    Весь бюллетень сразу или ничего: `approve` в голосовании одобрением, `ranking` в ранжировании и `veto`,
    если в голосовании есть вето. Вето — только вместе с голосом (хотя бы одно «да» или место), иначе 400
    `veto_without_vote`; пустой `ranking` — 400 `empty_ranking` (он ничего бы не изменил).
    Ответ ставит cookie браузера `ml_browser` (HttpOnly, одна на все голосования,
    подписана сервером); следующий PUT с ней заменяет бюллетень того же участника, и имя можно не присылать.
    После закрытия не принимается.

    Новых участников с одного адреса (IPv6 — с одной /64) — не больше 8 в минуту на голосование: дальше 429
    `too_many_requests` с `details.retry_after` (секунды) и сообщением, сколько подождать. Замена своего
    бюллетеня не считается.

    Из Telegram (Mini App) запрос несёт `Authorization: tma <initData>`: участник — аккаунт Telegram (один
    бюллетень на аккаунт), имя — его имя в Telegram, в голосовании уникальное («Аня», «Аня (2)»); `name`
    не нужен. Неверные или устаревшие (старше суток) данные — 401 `telegram_unverified`. Голосование
    `verification: telegram` без них не принимает: 403 `telegram_required`. Голосование только для участников
    чата (`members_of_chat`) не принимает аккаунт, которого нет в подключённом чате: 403 `not_chat_member`;
    если Telegram не ответил за ~2 с — 503 `telegram_unavailable` (голос не записан).
    """
    require_member(poll_id, telegram_user())
    stored = polls.store_ballot(
        poll_id,
        participant_to_store(poll_id),
        name=body["name"],
        approve=body["approve"],
        ranking=body["ranking"],
        veto=body["veto"],
        origin=request_origin(),
        telegram_user=telegram_user(),
    )
    return jsonify(OWN_BALLOT.dump(stored))


@bp.get("/polls/<poll_id>/ballot")
@public
@bp.response(200, OwnBallot)
@bp.refuses({404: ["ballot_not_found", "poll_not_found", "not_found"]})
def get_ballot(poll_id: str) -> StoredBallot:
    """Свой бюллетень

    Бюллетень участника по cookie этого запроса; без неё — 404 `ballot_not_found`.
    """
    poll = polls.get_poll(poll_id, ballots=False)
    mine = polls.require_own_ballot(poll, participant_of(poll_id))
    return polls.as_stored(mine, poll.method)


@bp.post("/polls/<poll_id>/names")
@public
@bp.arguments(NameCheckQuery())
@bp.response(200, NameCheck)
@bp.refuses({400: NameCheckQuery.error_codes(), 404: ["poll_not_found", "not_found"]})
def check_name(query: dict, poll_id: str) -> dict:
    """Занято ли имя

    Спросить до того, как заполнять бюллетень: `taken` — имя уже у другого участника (регистр, пробелы и
    ё/е не важны), и бюллетень с ним получит 409 `name_taken`. Своё имя (по cookie участника) не занято.
    Имя — в теле, не в адресе: адреса попадают в журнал сервера. Ничего не записывает.
    """
    poll = polls.get_poll(poll_id, ballots=False)
    return {"taken": polls.name_taken(poll, query["name"], participant_of(poll_id))}


@bp.delete("/polls/<poll_id>/ballot")
@public
@bp.response(204, description="Отозван")
@bp.refuses({404: ["ballot_not_found", "poll_not_found", "not_found"], **CLOSED})
def delete_ballot(poll_id: str) -> Response:
    """Отозвать свой бюллетень

    Бюллетень участника по cookie этого запроса, пока голосование открыто.
    """
    polls.delete_own_ballot(poll_id, participant_of(poll_id))
    return no_content()


@bp.post("/polls/<poll_id>/close")
@public
@bp.arguments(ManageSchema())
@bp.response(200, Poll)
@bp.refuses({403: ["bad_token"], **NOT_FOUND})
def close_poll(body: dict, poll_id: str) -> Linked:
    """Закрыть голосование и подсчитать

    Нужен токен управления (или администратор). Бюллетени на этот момент считаются один раз, результат
    записывается; повторное закрытие отвечает тем же результатом и тем же `seed`.
    """
    admin = signed_in_admin()
    result = polls.close(poll_id, body["token"], by_admin=admin)
    return poll_answer(result.poll, admin=admin)


@bp.delete("/polls/<poll_id>/ballots/<name>")
@public
@bp.arguments(ManageSchema())
@bp.response(204, description="Убран")
@bp.refuses({403: ["bad_token"], 404: ["ballot_not_found", "poll_not_found", "not_found"], **CLOSED})
def remove_ballot(body: dict, poll_id: str, name: str) -> Response:
    """Убрать бюллетень участника

    Нужен токен управления (или администратор), пока голосование открыто. Имя сравнивается как имена (регистр,
    пробелы и ё/е не важны).
    """
    polls.remove_ballot(poll_id, name, body["token"], by_admin=signed_in_admin())
    return no_content()


@bp.delete("/polls/<poll_id>/ballots")
@public
@bp.arguments(BallotRemovalSchema())
@bp.response(200, Removed)
@bp.refuses(
    {400: ["ballot_required"], 403: ["bad_token"], 404: ["ballot_not_found", "poll_not_found", "not_found"],
     **CLOSED}
)  # fmt: skip
def remove_ballot_by_body(body: dict, poll_id: str) -> dict:
    """Убрать бюллетень (имя или id в теле запроса)

    Как `DELETE …/ballots/<name>`, но участника называет тело: `name` (так шлёт страница управления) или
    `ballot` — id из `GET …/ballot-groups`. Так убирается и участник с именем «.» или «..», которое браузер
    не пропустит в пути.
    """
    admin, token = signed_in_admin(), body["token"]
    if body["ballot"] is not None:
        return {"removed": [polls.remove_ballot_by_id(poll_id, body["ballot"], token, by_admin=admin)]}
    if body["name"] is None:
        raise InvalidInput("Укажите, чей голос убрать: name или ballot", code="ballot_required")
    polls.remove_ballot(poll_id, body["name"], token, by_admin=admin)
    return {"removed": [body["name"]]}


@bp.get("/polls/<poll_id>/ballot-groups")
@public
@bp.arguments(ManageQuery(), location="query")
@bp.response(200, Bursts)
@bp.refuses({403: ["bad_token"], **NOT_FOUND})
def ballot_groups(query: dict, poll_id: str) -> dict:
    """Группы бюллетеней с одного адреса

    Бюллетени, пришедшие с одного адреса (Wi-Fi) подряд — не дальше 10 минут между соседними, — группой:
    так видно, что несколько «участников» прислал один скрипт. Адреса сервер не хранит, только их
    ключевой хэш.
    Нужен токен управления (`?token=`) или администратор.
    """
    poll, found = polls.managed_bursts(poll_id, query["token"], by_admin=signed_in_admin())
    names = {ballot.id: ballot.name for ballot in poll.ballots}
    groups = [
        {
            "id": b.id,
            "names": [names[i] for i in b.ids],
            "ballots": list(b.ids),
            "first": b.first,
            "last": b.last,
        }
        for b in found
    ]
    return {"groups": groups}


@bp.delete("/polls/<poll_id>/ballot-groups/<group_id>")
@public
@bp.arguments(ManageSchema())
@bp.response(200, Removed)
@bp.refuses({403: ["bad_token"], 404: ["group_not_found", "poll_not_found", "not_found"], **CLOSED})
def remove_ballot_group(body: dict, poll_id: str, group_id: str) -> dict:
    """Убрать группу бюллетеней одним действием

    Все бюллетени группы (`GET …/ballot-groups`), пока голосование открыто; группа, которая ещё растёт,
    уходит целиком. Нужен токен управления или администратор.
    """
    return {"removed": polls.remove_burst(poll_id, group_id, body["token"], by_admin=signed_in_admin())}


@bp.post("/polls/<poll_id>/watched")
@bp.arguments(ViewingSchema())
@bp.response(200, LibraryMovie, description="Победитель в библиотеке, с просмотром")
@bp.refuses({**NOT_FOUND, 409: ["not_closed", "conflict"]})
def poll_watched(body: dict, poll_id: str) -> LibraryMovieRow:
    """Отметить победителя просмотренным («Посмотрели»)

    Как у лотереи: победитель попадает в библиотеку, если его там нет (тот же фильм по единому правилу),
    получает просмотр на `date` (по умолчанию сегодня), связанный с этим голосованием, и статус
    «посмотрели»; повтор с другой датой переносит этот просмотр. Пока голосование открыто — 409
    `not_closed`. После отметки открываются оценки.
    """
    movie = viewings.mark_poll_watched(poll_id, body["date"])
    return movie


@bp.delete("/polls/<poll_id>")
@bp.response(204, description="Удалено вместе с кандидатами и бюллетенями")
@bp.refuses(NOT_FOUND)
def delete_poll(poll_id: str) -> Response:
    """Удалить голосование"""
    polls.delete_poll(poll_id)
    return no_content()
