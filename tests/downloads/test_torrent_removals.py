"""A torrent removal is a stored wish, like a download: it survives the worker, waits out an outage, is sent
once, and never fights a later download of the same movie. Driven one cycle at a time with the stand-in
client, on both databases; the real qbittorrent-nox version is in test_qbittorrent_end_to_end.py.
"""

from __future__ import annotations

import re

import pytest

from movie_lottery.core.extensions import db
from movie_lottery.core.models import Download
from movie_lottery.downloads import status as torrent_status
from movie_lottery.integrations.qbittorrent import TorrentClientError
from tests.downloads.test_torrent_status import (
    HASH_A,
    HASH_B,
    QBIT,
    StubClient,
    add_movie,
    ask_download,
    install,
    magnet,
)


@pytest.fixture(autouse=True)
def _stop_refreshers():
    yield
    torrent_status.stop_all(timeout=10)


@pytest.fixture
def qbit_app(make_app):
    return make_app(**QBIT)


@pytest.fixture
def stub():
    return StubClient()


def rows(app) -> list[tuple]:
    with app.app_context():
        found = db.session.query(Download).order_by(Download.id).all()
        result = [(r.movie_id, r.kind, r.status, r.info_hash, r.delete_files) for r in found]
        db.session.remove()
        return result


def downloaded(app, stub: StubClient, **movie) -> dict:
    """A movie whose torrent is in qBittorrent, as the site put it there."""
    service = install(app, stub)  # before any request, so no real refresher starts
    client = app.test_client()
    added = add_movie(client, **movie)
    ask_download(client, added["id"])
    assert service.run_cycle().sent == 1
    return added


def ask_removal(app, movie_id: int, delete_files: bool = False) -> dict:
    response = app.test_client().delete(f"/api/library/{movie_id}/torrent?delete_files={int(delete_files)}")
    assert response.status_code == 202, response.get_json()
    return response.get_json()["removal"]


def test_a_removal_asked_in_one_process_is_carried_out_by_a_fresh_one(qbit_app, make_app, stub):
    movie = downloaded(qbit_app, stub)
    ask_removal(qbit_app, movie["id"], delete_files=True)
    assert rows(qbit_app) == [(movie["id"], "removal", "pending", HASH_A, True)]

    restarted = make_app(**QBIT)  # nothing in memory: a recycled worker, a redeploy
    service = install(restarted, stub)
    stub.calls.clear()
    assert service.run_cycle().removed == 1
    assert HASH_A not in stub.torrents
    assert stub.calls.count("delete") == 1
    assert rows(restarted) == [(movie["id"], "removal", "done", HASH_A, True)]

    stub.calls.clear()
    assert service.run_cycle().removed == 0
    assert "delete" not in stub.calls  # exactly once: nothing is left to send


def test_a_removal_waits_out_an_outage_and_the_card_says_removing_until_it_is_done(qbit_app, stub):
    movie = downloaded(qbit_app, stub)
    service = install(qbit_app, stub)
    stub.fail_with = TorrentClientError("нет связи")
    assert not service.run_cycle().ok
    ask_removal(qbit_app, movie["id"])
    for _ in range(3):
        service.breaker.record_success()
        assert not service.run_cycle().ok
    client = qbit_app.test_client()
    assert rows(qbit_app)[0][2] == "pending"
    data = client.get(f"/api/library/{movie['id']}").get_json()
    assert data["download"] is None and data["removal"]["status"] == "pending"
    status = client.get("/api/torrents").get_json()
    assert status["removals"] == [
        {
            "movie_id": movie["id"],
            "info_hash": HASH_A,
            "delete_files": False,
            "status": "pending",
            "requested_at": data["removal"]["requested_at"],
        }
    ]
    assert status["pending"] == []
    page = client.get("/library").get_data(as_text=True)
    assert "удаляется…" in page and 'data-kind="removing"' in page

    stub.fail_with = None
    service.breaker.record_success()
    assert service.run_cycle().removed == 1
    data = client.get(f"/api/library/{movie['id']}").get_json()
    assert data["removal"]["status"] == "done" and data["removal"]["finished_at"]
    assert client.get("/api/torrents").get_json()["removals"] == []
    page = client.get("/library").get_data(as_text=True)
    assert "удаляется…" not in page and 'data-kind="removing"' not in page


def test_a_download_asked_after_the_removal_calls_it_off(qbit_app, stub):
    movie = downloaded(qbit_app, stub)
    service = install(qbit_app, stub)
    ask_removal(qbit_app, movie["id"], delete_files=True)
    assert ask_download(qbit_app.test_client(), movie["id"])["status"] == "pending"
    assert rows(qbit_app) == [(movie["id"], "download", "pending", HASH_A, False)]

    stub.calls.clear()
    assert service.run_cycle().sent == 1
    assert "delete" not in stub.calls and "add" not in stub.calls  # still there: nothing to do
    assert HASH_A in stub.torrents
    assert rows(qbit_app)[0][2] == "sent"


def test_a_removal_changed_while_it_was_being_sent_is_not_overwritten(qbit_app, stub):
    """The refresher's result applies to the wish it read, never to the one that replaced it."""
    movie = downloaded(qbit_app, stub)
    service = install(qbit_app, stub)
    ask_removal(qbit_app, movie["id"])
    real_delete = stub.delete

    def delete_while_the_user_asks_again(info_hash: str, delete_files: bool) -> bool:
        ask_download(qbit_app.test_client(), movie["id"])  # the user changes their mind meanwhile
        return real_delete(info_hash, delete_files)

    stub.delete = delete_while_the_user_asks_again
    service.run_cycle()
    stub.delete = real_delete
    assert rows(qbit_app) == [(movie["id"], "download", "pending", HASH_A, False)]
    assert service.run_cycle().sent == 1  # the latest wish wins: the torrent comes back
    assert HASH_A in stub.torrents


def test_a_removal_outlives_its_movie(qbit_app, stub):
    movie = downloaded(qbit_app, stub)
    service = install(qbit_app, stub)
    ask_removal(qbit_app, movie["id"], delete_files=True)
    assert qbit_app.test_client().delete(f"/api/library/{movie['id']}").status_code == 204
    assert rows(qbit_app) == [(None, "removal", "pending", HASH_A, True)]
    assert qbit_app.test_client().get("/api/torrents").get_json()["removals"][0]["movie_id"] is None

    assert service.run_cycle().removed == 1
    assert HASH_A not in stub.torrents


def test_deleting_a_movie_still_deletes_a_plain_download_and_a_done_removal(qbit_app, stub):
    movie = downloaded(qbit_app, stub)
    other = add_movie(qbit_app.test_client(), name="Гавань", kinopoisk_id=1000002, info_hash=HASH_B)
    ask_download(qbit_app.test_client(), other["id"])
    ask_removal(qbit_app, movie["id"])
    install(qbit_app, stub).run_cycle()
    client = qbit_app.test_client()
    assert client.delete(f"/api/library/{movie['id']}").status_code == 204
    assert client.delete(f"/api/library/{other['id']}").status_code == 204
    assert rows(qbit_app) == []


def test_a_new_magnet_does_not_retarget_a_removal(qbit_app, stub):
    movie = downloaded(qbit_app, stub)
    service = install(qbit_app, stub)
    ask_removal(qbit_app, movie["id"])
    put = qbit_app.test_client().put(f"/api/library/{movie['id']}/magnet", json={"magnet": magnet(HASH_B)})
    assert put.status_code == 200
    assert rows(qbit_app) == [(movie["id"], "removal", "pending", HASH_A, False)]
    service.run_cycle()
    assert HASH_A not in stub.torrents


def test_a_torrent_another_movie_now_downloads_is_not_removed(qbit_app, stub):
    movie = downloaded(qbit_app, stub)
    service = install(qbit_app, stub)
    client = qbit_app.test_client()
    ask_removal(qbit_app, movie["id"], delete_files=True)
    client.delete(f"/api/library/{movie['id']}/magnet")  # the link moves to another movie…
    other = add_movie(client, name="Гавань", kinopoisk_id=1000002, info_hash=HASH_A)
    ask_download(client, other["id"])  # …which wants the same torrent

    stub.calls.clear()
    service.run_cycle()
    assert "delete" not in stub.calls and HASH_A in stub.torrents
    with qbit_app.app_context():
        removal = db.session.query(Download).filter_by(movie_id=movie["id"]).one()
        assert (removal.status, removal.last_error) == (
            "done",
            "не удалён: этот торрент скачивается для другого фильма",
        )


def test_a_removal_qbittorrent_lost_is_sent_again(qbit_app, stub):
    movie = downloaded(qbit_app, stub)
    service = install(qbit_app, stub)
    ask_removal(qbit_app, movie["id"])
    stub.delete = lambda info_hash, delete_files: stub.calls.append("delete") or True  # answered, not done
    service.run_cycle()
    assert rows(qbit_app)[0][2] == "sent"  # the list taken right after still had it: wait and see
    service.run_cycle()
    assert rows(qbit_app)[0][2] == "pending"  # a later list still has it: qBittorrent lost the delete
    del stub.delete
    service.run_cycle()
    assert HASH_A not in stub.torrents and rows(qbit_app)[0][2] == "done"


def test_a_removal_keeps_the_refresher_working_with_nobody_watching(qbit_app, stub):
    movie = downloaded(qbit_app, stub)
    service = install(qbit_app, stub, clock=lambda: 0.0)
    assert not service._wanted()
    ask_removal(qbit_app, movie["id"])
    assert service._wanted()
    service.run_cycle()
    assert not service._wanted()


def test_the_removal_answer_keeps_its_shape_and_the_page_form_works(qbit_app, stub):
    movie = downloaded(qbit_app, stub)
    assert ask_removal(qbit_app, movie["id"], delete_files=True) == {
        "info_hash": HASH_A,
        "delete_files": True,
        "status": "queued",
    }
    client = qbit_app.test_client()
    page = client.get("/library").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"delete_files": "0", "csrf_token": token}
    answer = client.post(f"/library/{movie['id']}/torrent/remove", data=form, follow_redirects=True)
    assert "торрент будет убран из qBittorrent" in answer.get_data(as_text=True)
    assert rows(qbit_app) == [(movie["id"], "removal", "pending", HASH_A, False)]  # the latest wish


def test_a_queued_download_is_only_called_off_nothing_is_sent(qbit_app, stub):
    service = install(qbit_app, stub)
    client = qbit_app.test_client()
    movie = add_movie(client)
    ask_download(client, movie["id"])
    ask_removal(qbit_app, movie["id"])
    assert rows(qbit_app) == [(movie["id"], "removal", "done", HASH_A, False)]
    data = client.get(f"/api/library/{movie['id']}").get_json()
    assert data["download"] is None and data["removal"]["status"] == "done"
    assert 'data-kind="removing"' not in client.get("/library").get_data(as_text=True)

    service.run_cycle()
    assert "delete" not in stub.calls and "add" not in stub.calls and stub.torrents == {}


def test_a_queued_download_qbittorrent_already_lists_is_removed_not_just_called_off(qbit_app, stub):
    service = install(qbit_app, stub)
    client = qbit_app.test_client()
    movie = add_movie(client)
    stub.put(HASH_A)  # put there by hand, before the site asked
    service.run_cycle()
    ask_download(client, movie["id"])  # queued; the next cycle would find it there
    ask_removal(qbit_app, movie["id"])  # the snapshot says qBittorrent has it: it must go
    assert rows(qbit_app) == [(movie["id"], "removal", "pending", HASH_A, False)]
    service.run_cycle()
    assert HASH_A not in stub.torrents


def test_a_download_called_off_while_it_is_being_added_is_taken_out_again(qbit_app, stub):
    service = install(qbit_app, stub)
    client = qbit_app.test_client()
    movie = add_movie(client)
    ask_download(client, movie["id"])
    real_add = stub.add_magnet

    def add_while_the_user_cancels(magnet_uri: str, tags: list[str], paused: bool = False) -> None:
        real_add(magnet_uri, tags, paused)
        ask_removal(qbit_app, movie["id"])  # the request still saw it queued: only called off

    stub.add_magnet = add_while_the_user_cancels
    assert service.run_cycle().sent == 0
    assert stub.calls.count("delete") == 1 and HASH_A not in stub.torrents
    assert rows(qbit_app) == [(movie["id"], "removal", "done", HASH_A, False)]


def test_a_removal_is_not_in_the_backup_and_a_restore_leaves_it_as_it_was(qbit_app, stub):
    """A backup is the collection, not instructions to qBittorrent: a removal replayed by a restore days
    later would take out (perhaps with its files) a torrent the owner has added again since."""
    from movie_lottery.backup.transfer import dumps_backup, export_data, import_data

    movie = downloaded(qbit_app, stub)
    with qbit_app.app_context():
        before = dumps_backup(export_data())
    ask_removal(qbit_app, movie["id"], delete_files=True)
    with qbit_app.app_context():
        after = dumps_backup(export_data())
        assert after == before  # neither the download nor the removal is in it
        document = export_data()
        entry = document["library"][0]
        entry["magnet"], entry["info_hash"] = magnet(HASH_B), HASH_B  # the file knows a newer link
        import_data(document)
    assert rows(qbit_app) == [(movie["id"], "removal", "pending", HASH_A, True)]  # still the old torrent
