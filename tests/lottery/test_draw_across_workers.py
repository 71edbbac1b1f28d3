"""Exactly once across processes: 50 simultaneous draws against several gunicorn workers."""

from __future__ import annotations

import json
import threading
import urllib.request

from tests.support.gunicorn_server import GunicornServer


def post_json(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_fifty_simultaneous_draws_on_three_workers_agree_on_one_winner(database_url, tmp_path):
    with GunicornServer(database_url, workers=3, log_path=tmp_path / "gunicorn.log") as server:
        movies = [{"name": f"Фильм {i}"} for i in range(25)]
        status, created = post_json(server.url + "/api/lotteries", {"movies": movies})
        assert status == 201

        start = threading.Barrier(50)
        answers: list[tuple[int, dict]] = []
        lock = threading.Lock()

        def draw():
            start.wait()
            answer = post_json(
                f"{server.url}/api/lotteries/{created['id']}/draw", {"token": created["play_token"]}
            )
            with lock:
                answers.append(answer)

        threads = [threading.Thread(target=draw) for _ in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert [status for status, _ in answers] == [200] * 50
    assert len({(a["winner"]["position"], a["drawn_at"], a["seed"]) for _, a in answers}) == 1
    log = (tmp_path / "gunicorn.log").read_text()
    assert "Traceback" not in log and "WORKER TIMEOUT" not in log
    pids = {
        line.split("Booting worker with pid:")[1].strip()
        for line in log.splitlines()
        if "Booting worker" in line
    }
    assert len(pids) == 3
