"""qBittorrent and Kinopoisk, asked once (``flask doctor``) or judged from this process's memory (/status).

qBittorrent: at most ONE bounded login and version call, never repeated here: qBittorrent bans an address
for an hour after 5 failed logins, so a rejected password is reported, not retried.
Kinopoisk: configured or not; a token check costs one request of the daily quota, so only when asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from movie_lottery.core.config import kinopoisk_configured, qbit_configured
from movie_lottery.ops.doctor.verdicts import Check, fail, ok, warn

QBIT_CONNECT_SECONDS = 3.0
QBIT_READ_SECONDS = 5.0


QBIT_NAME = "qBittorrent"
BAN_NOTE = "после 5 неудачных входов qBittorrent блокирует адрес на час"


def qbittorrent_check(config: Mapping[str, Any]) -> Check:
    """Not configured, or one bounded login and version call, never repeated."""
    given = [key for key in ("QBIT_HOST", "QBIT_USERNAME", "QBIT_PASSWORD") if config.get(key)]
    if not qbit_configured(config):
        if given:
            absent = [key for key in ("QBIT_HOST", "QBIT_USERNAME", "QBIT_PASSWORD") if key not in given]
            return warn(
                QBIT_NAME,
                f"задано {', '.join(given)}, но не {', '.join(absent)}: скачивание выключено",
                f"Задайте {', '.join(absent)}",
            )
        return ok(QBIT_NAME, "не настроен: скачивание выключено (QBIT_HOST, QBIT_USERNAME, QBIT_PASSWORD)")
    from movie_lottery.integrations.qbittorrent import TorrentClient, TorrentClientError

    try:
        client = TorrentClient(
            config["QBIT_HOST"],
            config.get("QBIT_PORT"),
            config["QBIT_USERNAME"],
            config["QBIT_PASSWORD"],
            category=config.get("QBIT_CATEGORY") or "movie-lottery",
            connect_timeout=float(config.get("DOCTOR_QBIT_CONNECT_TIMEOUT", QBIT_CONNECT_SECONDS)),
            read_timeout=float(config.get("DOCTOR_QBIT_READ_TIMEOUT", QBIT_READ_SECONDS)),
            verify_certificate=config.get("QBIT_VERIFY_TLS") is not False,
        )
    except (TorrentClientError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or str(exc)
        return fail(
            QBIT_NAME, f"{reason}: {config['QBIT_HOST']}", "Проверьте QBIT_HOST, QBIT_PORT и QBIT_CATEGORY"
        )
    try:
        version = client.version()  # logs in first: one login, one call
    except TorrentClientError as exc:
        return _qbit_failure(client, exc, config)
    finally:
        client.close()
    return ok(
        QBIT_NAME,
        f"на связи: {client.base_url}, qBittorrent {version}; торренты идут в категорию «{client.category}»"
        " (qBittorrent создаст её сам)",
    )


def _qbit_failure(client, exc, config: Mapping[str, Any]) -> Check:
    from movie_lottery.integrations import qbittorrent as qbt

    where = client.base_url
    connect = float(config.get("DOCTOR_QBIT_CONNECT_TIMEOUT", QBIT_CONNECT_SECONDS))
    read = float(config.get("DOCTOR_QBIT_READ_TIMEOUT", QBIT_READ_SECONDS))
    if isinstance(exc, qbt.TorrentLoginRejected):
        return fail(
            QBIT_NAME,
            f"{where}: вход отклонён ({exc.reason}). Проверка не повторялась: {BAN_NOTE}",
            "Исправьте QBIT_USERNAME и QBIT_PASSWORD и перезапустите сайт; до этого не запускайте проверку"
            " снова (после блокировки подождите час или снимите её в настройках WebUI)",
        )
    if isinstance(exc, qbt.TorrentCertificateUntrusted):
        return fail(
            QBIT_NAME,
            f"{where}: {exc.reason}",
            "Поставьте доверенный сертификат или, для домашнего сервера, задайте QBIT_VERIFY_TLS=false",
        )
    why = qbt.unreachable_because(exc)
    address = where.split("://", 1)[-1]
    if why == qbt.REFUSED:
        return fail(
            QBIT_NAME,
            f"{address}: в соединении отказано — компьютер отвечает, но на этом порту никто не слушает",
            "Запустите qBittorrent, включите веб-интерфейс и проверьте QBIT_PORT",
        )
    if why == qbt.NO_CONNECTION:
        return fail(
            QBIT_NAME,
            f"{address}: нет ответа за {connect:g} с — компьютер выключен, адрес не тот, или порт закрыт"
            " фаерволом / не проброшен на роутере",
            "Проверьте QBIT_HOST и проброс порта веб-интерфейса к компьютеру с qBittorrent",
        )
    if why == qbt.NO_ANSWER:
        return fail(
            QBIT_NAME,
            f"{address}: соединение принято, но ответа нет за {read:g} с — на порту не qBittorrent, он"
            " завис, или запросы поглощает что-то по пути",
            "Откройте адрес в браузере: должна появиться страница входа qBittorrent",
        )
    if why == qbt.UNKNOWN_NAME:
        return fail(QBIT_NAME, f"{address}: такого имени нет (DNS)", "Проверьте QBIT_HOST")
    return fail(QBIT_NAME, f"{where}: {exc.reason}", "Проверьте адрес и что там веб-интерфейс qBittorrent")


# ---- Kinopoisk --------------------------------------------------------------------------------------


KINOPOISK_NAME = "Кинопоиск"


def kinopoisk_check(config: Mapping[str, Any], *, spend_quota: bool) -> Check:
    """Configured or not; with ``spend_quota``, one search (one request of the day's quota)."""
    if not kinopoisk_configured(config):
        return ok(
            KINOPOISK_NAME, "не настроен: фильмы добавляют вручную (KINOPOISK_API_TOKEN включает поиск)"
        )
    today = _calls_today()
    if not spend_quota:
        return ok(
            KINOPOISK_NAME,
            f"токен задан{today}; проверка токена тратит запрос из дневного лимита: flask doctor --kinopoisk",
        )
    from movie_lottery.integrations import kinopoisk as kp
    from movie_lottery.search.service import counted_call

    client = kp.KinopoiskClient(
        config.get("KINOPOISK_API_TOKEN"),
        base_url=config.get("KINOPOISK_API_URL") or kp.DEFAULT_BASE_URL,
        connect_timeout=float(config.get("KINOPOISK_CONNECT_TIMEOUT", 3.0)),
        read_timeout=float(config.get("KINOPOISK_READ_TIMEOUT", 5.0)),
    )
    try:
        counted_call(lambda: client.search("Матрица", limit=1))
    except kp.KinopoiskBadToken:
        return fail(KINOPOISK_NAME, "Кинопоиск не принял токен", "Проверьте KINOPOISK_API_TOKEN")
    except kp.KinopoiskQuotaExceeded:
        return warn(KINOPOISK_NAME, "токен верный, но дневной лимит запросов исчерпан", "Подождите до завтра")
    except kp.KinopoiskThrottled:
        return warn(
            KINOPOISK_NAME, "токен верный, но Кинопоиск просит подождать (429)", "Повторите через минуту"
        )
    except kp.KinopoiskError as exc:
        return fail(
            KINOPOISK_NAME,
            f"{client.base_url} не ответил как Кинопоиск: {exc.detail or exc.code}",
            "Проверьте KINOPOISK_API_URL (или подождите, если Кинопоиск лежит)",
        )
    return ok(KINOPOISK_NAME, f"токен принят ({client.base_url}){_calls_today()}")


def _calls_today() -> str:
    from movie_lottery.core.extensions import db
    from movie_lottery.core.models import utcnow
    from movie_lottery.search.service import kinopoisk_calls_on

    try:
        calls = kinopoisk_calls_on(utcnow().date())
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return ""
    return f"; запросов сегодня (UTC): {calls}"


def qbittorrent_live_check(service: Any | None) -> Check:
    """From this process's snapshot and breaker: what the refresher last learned, and when it tries again."""
    if service is None:
        return ok(QBIT_NAME, "не настроен: скачивание выключено")
    snapshot, breaker = service.peek(), service.breaker_state()
    if service.login_rejected:
        return fail(
            QBIT_NAME,
            f"вход отклонён ({breaker.reason}); автоматических попыток больше не будет: {BAN_NOTE}",
            "Исправьте QBIT_USERNAME и QBIT_PASSWORD и перезапустите сайт",
        )
    if snapshot.available:
        return ok(QBIT_NAME, f"на связи (проверено {snapshot.checked_at:%H:%M:%S} UTC)")
    if snapshot.checked_at is None:
        return ok(
            QBIT_NAME,
            "этот процесс ещё не обращался к qBittorrent: он делает это, пока кто-то смотрит библиотеку"
            " или что-то ждёт отправки",
        )
    retry = f"; следующая попытка в {breaker.retry_at:%H:%M:%S} UTC" if breaker.retry_at else ""
    return warn(
        QBIT_NAME,
        f"недоступен: {snapshot.reason}{retry}. Скачивания ждут в очереди и уйдут, когда он ответит",
        "flask --app movie_lottery doctor скажет, почему (одна попытка входа)",
    )


def kinopoisk_live_check(config: Mapping[str, Any], gate: Any | None) -> Check:
    if not kinopoisk_configured(config):
        return ok(KINOPOISK_NAME, "не настроен: фильмы добавляют вручную")
    paused = gate.paused_until() if gate is not None else None
    if paused is not None:
        return warn(
            KINOPOISK_NAME,
            f"дневной лимит исчерпан: этот процесс не спрашивает Кинопоиск до {paused:%H:%M} UTC"
            + _calls_today(),
            "Фильмы можно добавлять вручную; поиск вернётся сам",
        )
    return ok(KINOPOISK_NAME, f"токен задан{_calls_today()}")
