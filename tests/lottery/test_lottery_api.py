"""The lottery API: every status the contract names, and the rules of the draw."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from movie_lottery.lottery.service import commitment_for, winner_index

MOVIES = [
    {"name": "Тихая гавань", "year": 2019, "kinopoisk_id": 1000001, "rating": 7.4, "genres": ["драма"]},
    {"name": "Гавань", "year": 2008, "poster": "https://img.example/2.jpg"},
    {"name": "Маяк на краю света"},
]


def create(client, movies=MOVIES, **extra):
    return client.post("/api/lotteries", json={"movies": movies, **extra})


def test_creating_a_lottery_returns_links_and_the_commitment(client):
    response = create(client)
    assert response.status_code == 201
    data = response.get_json()
    assert re.fullmatch(r"[A-Za-z0-9_-]{8}", data["id"])
    assert data["wait_url"].endswith(f"/l/{data['id']}")
    assert data["play_url"].endswith(f"/l/{data['id']}/play/{data['play_token']}")
    assert len(data["play_token"]) >= 22  # 22 URL-safe base64 characters carry 132 bits
    assert re.fullmatch(r"[0-9a-f]{64}", data["commitment"])
    assert [m["name"] for m in data["movies"]] == [m["name"] for m in MOVIES]
    assert data["movies"][0]["kinopoisk_url"] == "https://www.kinopoisk.ru/film/1000001/"
    assert data["seed"] is None and data["winner"] is None


def test_lottery_ids_are_random_not_sequential(client):
    ids = [create(client).get_json()["id"] for _ in range(10)]
    assert len(set(ids)) == 10
    assert ids != sorted(ids)  # 10 random ids coming out sorted is a 1-in-3.6-million event


@pytest.mark.parametrize(
    ("movies", "code"),
    [
        (MOVIES[:1], "too_few_movies"),
        ([{"name": f"Фильм {i}"} for i in range(26)], "too_many_movies"),
        ([{"name": "Гавань", "year": 2008}, {"name": "  гавань  ", "year": 2008}], "duplicate_movie"),
        ([{"name": "А", "kinopoisk_id": 1000001}, {"name": "Б", "kinopoisk_id": 1000001}], "duplicate_movie"),
        ([{"name": ""}, {"name": "Б"}], "invalid_movie"),
        ([{"name": "x" * 201}, {"name": "Б"}], "invalid_movie"),
        ([{"name": "А", "year": 1887}, {"name": "Б"}], "invalid_movie"),
        ([{"name": "А", "year": 2200}, {"name": "Б"}], "invalid_movie"),
        ([{"name": "А", "poster": "javascript:alert(1)"}, {"name": "Б"}], "invalid_movie"),
        ([{"name": "А\x01"}, {"name": "Б"}], "invalid_movie"),
        ([{"name": "А\x00"}, {"name": "Б"}], "invalid_text"),
        ([{"name": "А", "rating": 11}, {"name": "Б"}], "invalid_movie"),
        ("not a list", "invalid_movies"),
        ([1, 2], "invalid_movie"),
    ],
)
def test_bad_lotteries_are_refused_with_a_code_and_nothing_is_stored(client, movies, code):
    response = create(client, movies)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert client.get("/api/lotteries").get_json()["total"] == 0


def test_same_title_in_different_years_is_allowed(client):
    movies = [{"name": "Дюна", "year": 1984}, {"name": "Дюна", "year": 2021}]
    assert create(client, movies).status_code == 201


def test_unknown_fields_are_ignored(client):
    movies = [{"name": "А", "extra": {"x": 1}}, {"name": "Б"}]
    assert create(client, movies).status_code == 201


def test_unknown_lottery_is_404(client):
    assert client.get("/api/lotteries/nope1234").status_code == 404
    response = client.post("/api/lotteries/nope1234/draw", json={"token": "x"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "lottery_not_found"


def test_wrong_token_cannot_draw(client):
    data = create(client).get_json()
    response = client.post(f"/api/lotteries/{data['id']}/draw", json={"token": "guess"})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "bad_token"
    tokenless = client.post(f"/api/lotteries/{data['id']}/draw", content_type="application/json")
    assert tokenless.status_code == 403  # the token is optional in the schema, required by the draw
    assert client.get(f"/api/lotteries/{data['id']}").get_json()["winner"] is None


def test_the_seed_never_leaves_the_server_before_the_draw(app, client):
    created = create(client).get_json()
    lottery_id = created["id"]
    from movie_lottery.core.extensions import db
    from movie_lottery.core.models import Lottery

    with app.app_context():
        seed = db.session.get(Lottery, lottery_id).seed
    assert seed not in client.get(f"/api/lotteries/{lottery_id}").get_data(as_text=True)
    assert seed not in client.get(f"/l/{lottery_id}").get_data(as_text=True)
    assert seed not in client.get(f"/l/{lottery_id}/play/{created['play_token']}").get_data(as_text=True)
    assert seed not in client.get("/api/lotteries").get_data(as_text=True)
    assert seed not in client.get("/history").get_data(as_text=True)


def test_draw_reveals_a_seed_that_matches_the_commitment_and_the_formula(client):
    created = create(client).get_json()
    drawn = client.post(
        f"/api/lotteries/{created['id']}/draw", json={"token": created["play_token"]}
    ).get_json()
    assert commitment_for(drawn["seed"]) == created["commitment"]
    names = [m["name"] for m in created["movies"]]
    assert drawn["winner"]["name"] == names[winner_index(drawn["seed"], created["id"], names)]
    assert drawn["drawn_at"]


def test_second_draw_returns_the_same_winner(client):
    created = create(client).get_json()
    url = f"/api/lotteries/{created['id']}/draw"
    first = client.post(url, json={"token": created["play_token"]}).get_json()
    second = client.post(url, json={"token": created["play_token"]}).get_json()
    assert first["winner"] == second["winner"]
    assert first["drawn_at"] == second["drawn_at"]


def test_fifty_concurrent_draws_record_one_winner(app):
    with app.app_context():
        from movie_lottery.lottery import service as lottery

        created = lottery.create_lottery([{"name": f"Фильм {i}"} for i in range(25)])
        lottery_id, token = created.lottery.id, created.play_token

    def draw_once(_):
        with app.app_context():
            from movie_lottery.lottery import service as lottery

            result = lottery.draw(lottery_id, token)
            return result.lottery.winner_position, result.lottery.drawn_at, result.newly_drawn

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(draw_once, range(50)))
    assert len({(position, drawn_at) for position, drawn_at, _ in results}) == 1
    assert sum(1 for *_, newly in results if newly) == 1


def test_polling_an_unchanged_lottery_costs_a_304(client):
    created = create(client).get_json()
    url = f"/api/lotteries/{created['id']}"
    first = client.get(url)
    etag = first.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    client.post(f"{url}/draw", json={"token": created["play_token"]})
    after = client.get(url, headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert after.get_json()["winner"] is not None


def test_history_lists_newest_first_twenty_per_page(client):
    ids = [create(client, [{"name": f"А{i}"}, {"name": f"Б{i}"}]).get_json()["id"] for i in range(23)]
    first = client.get("/api/lotteries").get_json()
    assert (first["total"], first["pages"], first["page"]) == (23, 2, 1)
    assert [item["id"] for item in first["lotteries"]] == list(reversed(ids))[:20]
    second = client.get("/api/lotteries?page=2").get_json()
    assert [item["id"] for item in second["lotteries"]] == list(reversed(ids))[20:]
    assert client.get("/api/lotteries?page=zero").status_code == 400


def test_history_page_shows_winner_or_waiting(client):
    waiting = create(client).get_json()
    drawn = create(client, [{"name": "Победитель"}, {"name": "Проигравший"}]).get_json()
    client.post(f"/api/lotteries/{drawn['id']}/draw", json={"token": drawn["play_token"]})
    page = client.get("/history").get_data(as_text=True)
    assert "ожидает розыгрыша" in page
    assert f"/l/{waiting['id']}" in page and f"/l/{drawn['id']}" in page


def test_deleting_a_lottery_removes_it_and_its_candidates(app, client):
    created = create(client).get_json()
    assert client.delete(f"/api/lotteries/{created['id']}").status_code == 204
    assert client.get(f"/api/lotteries/{created['id']}").status_code == 404
    assert client.delete(f"/api/lotteries/{created['id']}").status_code == 404
    from movie_lottery.core.extensions import db
    from movie_lottery.core.models import LotteryMovie

    with app.app_context():
        assert db.session.query(LotteryMovie).count() == 0


@pytest.mark.parametrize("poster", [None, "https://img.example/1.jpg"])
def test_the_winner_card_draws_a_poster_only_when_there_is_one_and_names_the_movie_once(client, poster):
    # A title card in place of a missing poster repeated the name and year of the heading right beside it.
    movies = [
        {"name": "Сталкер", "year": 1979, "poster": poster},
        {"name": "Солярис", "year": 1972, "poster": poster},
    ]
    created = create(client, movies).get_json()
    winner = client.post(
        f"/api/lotteries/{created['id']}/draw", json={"token": created["play_token"]}
    ).get_json()
    html = client.get(f"/l/{created['id']}").get_data(as_text=True)
    card = re.search(r'<article class="winner-card[^"]*">(.*?)</article>', html, re.S).group(1)
    assert ('class="poster ' in card) == (poster is not None)
    assert (f'<img src="{poster}"' in card) == (poster is not None)
    if poster is None:
        text = re.sub(r"<[^>]+>", " ", card)
        assert text.count(winner["winner"]["name"]) == 1 and text.count(str(winner["winner"]["year"])) == 1


def test_play_link_with_a_wrong_token_is_not_found(client):
    created = create(client).get_json()
    assert client.get(f"/l/{created['id']}/play/wrong-token").status_code == 404


def test_drawn_lottery_pages_show_the_result(client):
    created = create(client).get_json()
    client.post(f"/api/lotteries/{created['id']}/draw", json={"token": created["play_token"]})
    for path in (f"/l/{created['id']}", f"/l/{created['id']}/play/{created['play_token']}"):
        html = client.get(path).get_data(as_text=True)
        assert 'data-testid="winner-name"' in html
        assert 'data-testid="draw-button"' not in html
        assert "Как проверить" in html


def test_auto_download_option_is_offered_only_with_qbittorrent(make_app):
    plain = make_app().test_client().get("/").get_data(as_text=True)
    assert "Скачать победителя автоматически" not in plain
    with_qbit = make_app(QBIT_HOST="127.0.0.1", QBIT_PORT=1, QBIT_USERNAME="u", QBIT_PASSWORD="p")
    assert "Скачать победителя автоматически" in with_qbit.test_client().get("/").get_data(as_text=True)


def test_auto_download_choice_is_stored_with_the_lottery(client):
    data = create(client, auto_download=True).get_json()
    assert client.get(f"/api/lotteries/{data['id']}").get_json()["auto_download"] is True


def test_history_page_links_to_older_and_newer_pages(app):
    script = app.test_client()
    for i in range(21):
        create(script, [{"name": f"А{i}"}, {"name": f"Б{i}"}])
    browser = app.test_client()
    first = browser.get("/history").get_data(as_text=True)
    assert "Страница 1 из 2" in first and 'href="/history?page=2"' in first and "Новее" not in first
    second = browser.get("/history?page=2").get_data(as_text=True)
    assert 'href="/history?page=1"' in second and "Старше" not in second
