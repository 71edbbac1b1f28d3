"""Fill a fresh database with 1,000 lotteries (half drawn) and 1,000 library movies."""

from __future__ import annotations

import random
import secrets
from datetime import timedelta

GENRES = ["драма", "комедия", "триллер", "фантастика", "мелодрама", "детектив", "мультфильм"]
COUNTRIES = ["Россия", "США", "Франция", "Япония", "Корея"]


def _movie(rng: random.Random, i: int) -> dict:
    return {
        "name": f"Фильм номер {i} «{rng.choice(['Маяк', 'Гавань', 'Шторм', 'Рассвет', 'Полночь'])}»",
        "year": rng.randint(1960, 2025),
        "kinopoisk_id": 1_000_000 + i,
        "poster": f"https://posters.invalid/{i}.jpg",
        "description": "Описание фильма для нагрузочного теста. " * 3,
        "rating": round(rng.uniform(4, 9), 1),
        "genres": rng.sample(GENRES, 2),
        "countries": rng.sample(COUNTRIES, 1),
    }


def seed(database_url: str, lotteries: int = 1000, library: int = 1000) -> str:
    """Seed and return the id of a drawn lottery for the per-lottery API figure."""
    from movie_lottery import create_app
    from movie_lottery.core.extensions import db
    from movie_lottery.core.models import LibraryMovie, Lottery, LotteryMovie, utcnow
    from movie_lottery.lottery.service import commitment_for, winner_index

    rng = random.Random(20261129)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"})
    drawn_id = ""
    with app.app_context():
        now = utcnow()
        for n in range(lotteries):
            seed_hex = secrets.token_hex(32)
            lottery_id = secrets.token_urlsafe(6)
            movies = [_movie(rng, n * 10 + k) for k in range(rng.randint(2, 8))]
            drawn = n % 2 == 0
            position = winner_index(seed_hex, lottery_id, [m["name"] for m in movies]) if drawn else None
            db.session.add(
                Lottery(
                    id=lottery_id, seed=seed_hex, commitment=commitment_for(seed_hex),
                    play_token=secrets.token_urlsafe(24), created_at=now - timedelta(minutes=n),
                    winner_position=position, drawn_at=now - timedelta(minutes=n) if drawn else None,
                    movies=[LotteryMovie(position=k, details={}, **m) for k, m in enumerate(movies)],
                )
            )  # fmt: skip
            drawn_id = drawn_id or (lottery_id if drawn else "")
        for i in range(library):
            movie = _movie(rng, 50_000 + i)
            magnet = f"magnet:?xt=urn:btih:{i:040x}" if i % 3 == 0 else None
            db.session.add(
                LibraryMovie(details={}, magnet=magnet, info_hash=f"{i:040x}" if magnet else None, **movie)
            )
        db.session.commit()
        db.engine.dispose()
    return drawn_id


BENCH_BROWSER = "bench-browser-00000000"  # the browser whose ballot `PUT` replaces (a 22-character id)


def _server_app(database_url: str):
    """An app with the bench server's SECRET_KEY: the browser's participant and cookie are derived from it."""
    from movie_lottery import create_app
    from tests.support.gunicorn_server import SECRET_KEY

    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": SECRET_KEY})


def bench_cookie(database_url: str) -> str:
    """The Cookie header of BENCH_BROWSER, as the bench's gunicorn server signs it."""
    from movie_lottery.web.participants import BROWSER_COOKIE, signed_browser

    with _server_app(database_url).app_context():
        return f"{BROWSER_COOKIE}={signed_browser(BENCH_BROWSER)}"


def seed_poll(database_url: str, voters: int = 30) -> str:
    """An open approval poll of 12 movies with ``voters`` ballots; returns its id."""
    from movie_lottery.core.extensions import db
    from movie_lottery.polls import service as polls
    from movie_lottery.web.participants import derived_participant

    rng = random.Random(13)
    with _server_app(database_url).app_context():
        movies = [_movie(rng, 90_000 + i) for i in range(12)]
        poll = polls.create_poll(movies, veto=True).poll
        for n in range(voters):
            participant = derived_participant(BENCH_BROWSER, "poll", poll.id) if n == 0 else None
            approve = sorted(rng.sample(range(12), rng.randint(0, 12)))
            polls.store_ballot(poll.id, participant, name=f"Участник {n}", approve=approve)
        poll_id = poll.id
        db.engine.dispose()
    return poll_id
