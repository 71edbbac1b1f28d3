"""A collection worth backing up: every kind of row and value the backup must carry over unchanged.

Drawn and undrawn lotteries, Unicode (Cyrillic, emoji, right-to-left, combining marks), null fields, magnets,
ratings that are not exact in binary (7.4, 6.8), Kinopoisk extras, and a hand-written document whose dates
have zero microseconds and a non-UTC offset (so the fixed timestamp format is exercised). The library's marks
(issue 12): every status, an exclusion until a day and one for good, «любимое», a movie watched twice, and the
drawn lottery's winner marked «Посмотрели» (a viewing linked to its lottery). The hand-made document is of
version 1, written before the marks: it must still import. Polls (issue 13): one closed approval poll with
vetoes and three voters (its result stored), and one open ranked poll with live results and a deadline, each
voter in a browser of their own (a participant cookie each). The closed poll's winner is marked «Посмотрели»
too (a viewing linked to its poll), and both watched nights are rated (issue 13's ratings): the lottery's by
two raters, the poll's by one of its voters (under her ballot's name, by her cookie) and by a newcomer.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from movie_lottery.lottery.service import commitment_for, winner_index

HASHES = ["b45bfccfcd5301e94af8500b1a1863415346a91a", "c" * 40, "d" * 40]


def magnet(info_hash: str, name: str = "Movie") -> str:
    return f"magnet:?xt=urn:btih:{info_hash}&dn={name}&tr=udp%3A%2F%2Ftracker.invalid%3A80"


LIBRARY = [
    {
        "name": "Тихая гавань",
        "year": 2019,
        "kinopoisk_id": 1000001,
        "rating": 7.4,
        "genres": ["драма", "мелодрама"],
        "countries": ["Россия"],
        "poster": "https://posters.invalid/1.jpg",
        "description": "Строка первая,\nстрока вторая — с «кавычками» и\tтабуляцией.",
        "poster_preview": "https://posters.invalid/1-small.jpg",
        "rating_imdb": 6.8,
        "length": 104,
        "trailer_url": "https://trailers.invalid/1",
        "kinopoisk_url": "https://www.kinopoisk.ru/film/1000001/",
        "magnet": magnet(HASHES[0], "Tihaya+gavan"),
    },
    {"name": "Гавань", "year": 2008, "rating": 6.8, "genres": ["детектив"], "countries": ["Франция"]},
    {"name": "Маяк на краю света 🌊🎬", "magnet": magnet(HASHES[1])},  # no year, rating, poster…
    {"name": "שלום עולם", "year": 2011, "kinopoisk_id": 1000002, "rating": 8.123},
    {"name": "Ёлки-пало́ки", "year": 1999, "rating": 10.0, "countries": ["Россия", "Беларусь"]},
]

CANDIDATES = [
    {"name": "Тихая гавань", "year": 2019, "kinopoisk_id": 1000001, "rating": 7.4, "rating_imdb": 6.8},
    {"name": "Маяк на краю света 🌊🎬"},
    {"name": "שלום עולם", "year": 2011, "description": "Справа налево — ‏עברית‏"},
]


def handmade_document() -> dict:
    """A document typed by hand: offsets other than UTC and no microseconds, as people write dates."""
    seed = "5e" * 32
    candidates = [
        {"position": 0, "name": "Сталкер", "year": 1979},
        {"position": 1, "name": "Солярис", "year": 1972},
    ]
    names = [candidate["name"] for candidate in candidates]
    lottery_id = "HandMade"
    return {
        "format": "movie-lottery-backup",
        "version": 1,
        "library": [
            {
                "name": "Сталкер",
                "year": 1979,
                "kinopoisk_id": 43970,
                "added_at": "2020-01-01T03:00:00+03:00",
                "magnet": magnet(HASHES[2], "Stalker"),
            }
        ],
        "lotteries": [
            {
                "id": lottery_id,
                "created_at": "2024-11-29T21:40:00+03:00",
                "drawn_at": "2024-11-29T18:45:00Z",
                "seed": seed,
                "commitment": commitment_for(seed),
                "play_token": "hand-made-play-token",
                "winner_position": winner_index(seed, lottery_id, names),
                "auto_download": True,
                "candidates": candidates,
            }
        ],
    }


def stock_collection(client) -> dict:
    """Fill an (open-mode) app through its API; returns the lotteries' ids and play tokens."""
    for movie in LIBRARY:
        response = client.post("/api/library", json=movie)
        assert response.status_code == 201, response.get_json()
    drawn = client.post("/api/lotteries", json={"movies": CANDIDATES, "auto_download": True}).get_json()
    response = client.post(f"/api/lotteries/{drawn['id']}/draw", json={"token": drawn["play_token"]})
    assert response.status_code == 200, response.get_json()
    waiting = client.post("/api/lotteries", json={"movies": CANDIDATES[:2]}).get_json()
    marked = client.post(f"/api/lotteries/{drawn['id']}/watched", json={"date": WINNER_WATCHED_ON})
    assert marked.status_code == 200, marked.get_json()
    polls = stock_polls(client)
    raters = stock_ratings(client, drawn["id"], polls)  # before the marks: «Посмотрели» sets a status
    by_name = {
        movie["name"]: movie["id"] for movie in client.get("/api/library?status=all").get_json()["movies"]
    }
    for name, marks in MARKS.items():
        response = client.patch(f"/api/library/{by_name[name]}", json=marks)
        assert response.status_code == 200, response.get_json()
    for day in ("2023-12-31", "2025-02-03"):
        response = client.post(f"/api/library/{by_name['Гавань']}/viewings", json={"date": day})
        assert response.status_code == 201, response.get_json()
    return {
        "drawn": drawn,
        "waiting": waiting,
        "winner_id": marked.get_json()["id"],
        **polls,
        "raters": raters,
    }


POLL_WATCHED_ON = "2025-11-30"
LOTTERY_RATINGS = {"Лёша": 7, "Мила 🍿": 9}  # name -> score, each in a browser of their own
POLL_RATINGS = {"Аня": 6, "Дина": 10}  # Аня voted in the poll: she rates by her cookie, without a name


def stock_ratings(client, lottery_id: str, polls: dict) -> dict:
    """«Посмотрели» on the closed poll's winner, then the ratings of both watched nights through the API.
    Returns the raters' browser cookies: kind -> name -> ml_browser."""
    poll_id = polls["closed_poll"]["id"]
    watched = client.post(f"/api/polls/{poll_id}/watched", json={"date": POLL_WATCHED_ON})
    assert watched.status_code == 200, watched.get_json()
    raters: dict[str, dict[str, str]] = {"lottery": {}, "poll": {}}
    for name, score in LOTTERY_RATINGS.items():
        raters["lottery"][name] = _rate(client, "lottery", lottery_id, {"name": name, "score": score})
    for name, score in POLL_RATINGS.items():
        cookie = polls["voters"][poll_id].get(name)
        body = {"score": score} if cookie else {"name": name, "score": score}
        raters["poll"][name] = _rate(client, "poll", poll_id, body, cookie)
    assert raters["poll"]["Аня"] == polls["voters"][poll_id]["Аня"]  # one participant: her ballot's cookie
    return raters


def _rate(client, kind: str, night_id: str, body: dict, cookie: str | None = None) -> str:
    rater = client.application.test_client()
    name = "ml_browser"  # one signed cookie: the participant of each night is derived from it
    if cookie:
        rater.set_cookie(name, cookie)
    response = rater.put(f"/api/ratings/{kind}/{night_id}", json=body)
    assert response.status_code == 200, response.get_json()
    return rater.get_cookie(name).value


CLOSED_POLL_BALLOTS = {  # name -> (approve, veto)
    "Аня": ([0, 1], None),
    "Борис 🎬": ([1], 2),
    "Ёж": ([0, 1, 2], None),
}
OPEN_POLL_BALLOTS = {"Вера": [2, 0], "Гриша": [1]}  # name -> ranking, best first


def stock_polls(client) -> dict:
    """Two polls created and voted on through the API, each voter with a cookie of their own; the first
    closed by its creator (so its result is stored), the second left open. Returns their answers and the
    voters' browser cookies (name -> ml_browser), whose ballots a restore must keep theirs."""
    closed = client.post(
        "/api/polls", json={"movies": CANDIDATES, "veto": True, "auto_download": True}
    ).get_json()
    deadline = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0).isoformat()
    opened = client.post(
        "/api/polls",
        json={"movies": CANDIDATES, "method": "ranked", "results": "live", "deadline": deadline},
    ).get_json()
    voters: dict[str, dict[str, str]] = {closed["id"]: {}, opened["id"]: {}}
    for name, (approve, veto) in CLOSED_POLL_BALLOTS.items():
        voters[closed["id"]][name] = _vote(
            client, closed["id"], {"name": name, "approve": approve, "veto": veto}
        )
    for name, ranking in OPEN_POLL_BALLOTS.items():
        voters[opened["id"]][name] = _vote(client, opened["id"], {"name": name, "ranking": ranking})
    shut = client.post(f"/api/polls/{closed['id']}/close", json={"token": closed["manage_token"]})
    assert shut.status_code == 200, shut.get_json()
    return {"closed_poll": closed, "open_poll": opened, "voters": voters}


def participant_of(app, cookie: str, kind: str, night_id: str) -> str:
    """The participant value the server stores for the browser holding ``cookie`` in that night."""
    from movie_lottery.web.participants import browser_of, derived_participant

    with app.app_context():
        return derived_participant(browser_of(cookie), kind, night_id)


def _vote(client, poll_id: str, ballot: dict) -> str:
    """One voter in a browser of their own; returns the browser cookie the server set."""
    voter = client.application.test_client()
    response = voter.put(f"/api/polls/{poll_id}/ballot", json=ballot)
    assert response.status_code == 200, response.get_json()
    cookie = voter.get_cookie("ml_browser")
    assert cookie is not None
    return cookie.value


WINNER_WATCHED_ON = "2025-11-29"
EXCLUDED_UNTIL = "2099-01-01"
MARKS = {
    "Ёлки-пало́ки": {"status": "excluded", "excluded_until": EXCLUDED_UNTIL},
    "Маяк на краю света 🌊🎬": {"status": "excluded", "favourite": True},  # for good
    "Тихая гавань": {"favourite": True},
}
