"""50 people vote at once on PostgreSQL across three gunicorn workers while the creator closes the poll.

Every participant keeps changing their ballot until a PUT is refused (bounded). The creator closes once about
a hundred ballots were acknowledged, and a few others close at the same moment. Then: every participant's
last acknowledged ballot is in the result, no refused one is, and everyone reads the same result.
"""

from __future__ import annotations

import json
import random
import threading
import urllib.error
import urllib.request
from http.cookiejar import CookieJar

import pytest

from tests.support.gunicorn_server import GunicornServer

pytestmark = [pytest.mark.drills, pytest.mark.postgres]

PARTICIPANTS = 50
MOVIES = 6
MAX_BALLOTS_EACH = 30
CLOSE_AFTER = 100  # acknowledged ballots


class Participant:
    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict | None]:
        request = urllib.request.Request(
            self.base + path,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json"},
            method=method,
        )
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_every_acknowledged_ballot_counts_none_after_the_close_and_everyone_reads_one_result(
    database_url, tmp_path
):
    with GunicornServer(database_url, workers=3, log_path=tmp_path / "gunicorn.log") as server:
        creator = Participant(server.url)
        movies = [{"name": f"Фильм {i}"} for i in range(MOVIES)]
        status, poll = creator.call("POST", "/api/polls", {"movies": movies})
        assert status == 201
        ballot_path = f"/api/polls/{poll['id']}/ballot"

        lock = threading.Lock()
        acknowledged = 0
        enough = threading.Event()
        last_acknowledged: dict[str, list[int]] = {}
        refused: dict[str, int] = {}
        unexpected: list[tuple[int, dict | None]] = []
        start = threading.Barrier(PARTICIPANTS + 5)

        def vote(n: int) -> None:
            nonlocal acknowledged
            me = Participant(server.url)
            name = f"Участник {n}"
            rng = random.Random(n)
            start.wait()
            for round_ in range(MAX_BALLOTS_EACH):
                approve = sorted(rng.sample(range(MOVIES), rng.randint(0, MOVIES)))
                body = {"approve": approve, **({"name": name} if round_ == 0 else {})}
                status, answer = me.call("PUT", ballot_path, body)
                with lock:
                    if status == 200:
                        last_acknowledged[name] = approve
                        acknowledged += 1
                        if acknowledged >= CLOSE_AFTER:
                            enough.set()
                    elif status == 409 and answer["error"]["code"] == "poll_closed":
                        refused[name] = refused.get(name, 0) + 1
                        return
                    else:
                        unexpected.append((status, answer))
                        return

        closes: list[tuple[int, dict | None]] = []

        def close() -> None:
            start.wait()
            enough.wait(timeout=120)
            answer = Participant(server.url).call(
                "POST", f"/api/polls/{poll['id']}/close", {"token": poll["manage_token"]}
            )
            with lock:
                closes.append(answer)

        threads = [threading.Thread(target=vote, args=(n,)) for n in range(PARTICIPANTS)]
        threads += [threading.Thread(target=close) for _ in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert not any(thread.is_alive() for thread in threads)

        readers = [Participant(server.url).call("GET", f"/api/polls/{poll['id']}") for _ in range(9)]
    log = (tmp_path / "gunicorn.log").read_text()

    assert unexpected == []
    assert [status for status, _ in closes] == [200] * 5
    assert refused, "the close came after every ballot: the drill proved nothing"
    results = {json.dumps(answer["result"], sort_keys=True) for _, answer in [*closes, *readers]}
    assert len(results) == 1  # one result for everyone, closers and readers alike
    data = readers[0][1]
    result = data["result"]
    # Every acknowledged ballot counts, as its participant last had it; nothing refused does.
    assert sorted(data["voters"]) == sorted(last_acknowledged)
    assert result["ballots"] == len(last_acknowledged)
    expected = [
        sum(position in approve for approve in last_acknowledged.values()) for position in range(MOVIES)
    ]
    assert result["counts"] == expected
    assert "Traceback" not in log and "WORKER TIMEOUT" not in log
