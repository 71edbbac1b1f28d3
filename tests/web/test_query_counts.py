"""Pages run a fixed number of SQL statements, however many rows they show."""

from __future__ import annotations

import contextlib

import sqlalchemy as sa

from movie_lottery.core.extensions import db
from movie_lottery.web.rendering.page_cache import PageCache


@contextlib.contextmanager
def counting_statements(app):
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def add_lotteries(client, n: int) -> None:
    for i in range(n):
        created = client.post("/api/lotteries", json={"movies": [{"name": f"А{i}"}, {"name": f"Б{i}"}]})
        if i % 2:
            body = created.get_json()
            client.post(f"/api/lotteries/{body['id']}/draw", json={"token": body["play_token"]})


def statements_for(app, client, path: str) -> int:
    """Statements of one full render: the backdrop cache warm, as on a running site, the page cache empty.

    The content version read is left out: it is the page cache's, not the page's.
    """
    client.get(path)
    app.extensions["page_cache"] = PageCache()
    with counting_statements(app) as statements:
        assert client.get(path).status_code == 200
    return len([statement for statement in statements if "content_version" not in statement])


def test_history_runs_the_same_number_of_statements_for_2_and_20_lotteries(app):
    script, browser = app.test_client(), app.test_client()  # writes come from a cookieless script
    add_lotteries(script, 2)
    few = statements_for(app, browser, "/history")
    add_lotteries(script, 23)
    many = statements_for(app, browser, "/history")
    assert few == many <= 4  # the totals, the page, its lotteries with their winners, the candidates' names


def test_a_repeated_history_view_costs_one_single_row_statement(app):
    add_lotteries(app.test_client(), 5)
    browser = app.test_client()
    browser.get("/history")
    with counting_statements(app) as statements:
        assert "Всего 5 лотерей" in browser.get("/history").get_data(as_text=True)
    assert len(statements) == 1 and "content_version" in statements[0]  # the page itself is kept


LIBRARY_LISTS = [
    "/api/library",
    "/api/library?status=all&sort=watched",
    "/api/library?status=watched&genre=Драма&year_from=1970&year_to=2030&min_rating=1&favourite=1",
    "/api/library?q=фильм&status=want,excluded&sort=rating&page=2",
    "/library",
]


def add_shelf(client, start: int, stop: int) -> None:
    """Movies with every kind of mark: genres, ratings, viewings, exclusions, «любимое»."""
    for i in range(start, stop):
        movie = client.post(
            "/api/library",
            json={"name": f"Фильм {i}", "year": 1970 + i, "rating": 1 + i % 9, "genres": ["драма", f"ж{i}"]},
        ).get_json()
        if i % 3 == 0:
            for day in ("2024-01-01", "2025-01-01"):
                client.post(f"/api/library/{movie['id']}/viewings", json={"date": day})
        if i % 3 == 1:
            client.patch(
                f"/api/library/{movie['id']}", json={"status": "excluded", "excluded_until": "2099-01-01"}
            )
        if i % 2:
            client.patch(f"/api/library/{movie['id']}", json={"favourite": True})


def test_every_library_filter_runs_the_same_number_of_statements_for_4_and_40_movies(app):
    script, browser = app.test_client(), app.test_client()
    add_shelf(script, 0, 4)  # each list shows at least one movie (an empty one skips the viewings)
    few = {path: statements_for(app, browser, path) for path in LIBRARY_LISTS}
    add_shelf(script, 4, 40)
    many = {path: statements_for(app, browser, path) for path in LIBRARY_LISTS}
    assert few == many
    # The counts per status, the movies with their downloads, their viewings (the page: and the backdrop).
    assert all(count <= 3 for path, count in many.items() if path.startswith("/api/")), many
