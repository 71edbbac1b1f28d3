"""Settings come from the environment in one place, with safe local defaults."""

from pathlib import Path

import pytest

from movie_lottery.core.config import (
    engine_options_for,
    gunicorn_settings,
    load_settings,
    normalize_database_url,
    qbit_configured,
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db.example:5432/app", "postgresql+psycopg2://u:p@db.example:5432/app"),
        ("postgresql://u:p@db/app?sslmode=require", "postgresql+psycopg2://u:p@db/app?sslmode=require"),
        ("  postgres://u@h/db  ", "postgresql+psycopg2://u@h/db"),
        ("postgresql+psycopg2://u@h/db", "postgresql+psycopg2://u@h/db"),
        ("sqlite:////tmp/x.sqlite3", "sqlite:////tmp/x.sqlite3"),
    ],
)
def test_database_urls_users_paste_reach_the_installed_driver(given, expected):
    assert normalize_database_url(given) == expected


def test_postgres_gets_pre_ping_and_a_connect_timeout_but_sqlite_does_not():
    pg = engine_options_for("postgresql+psycopg2://u@h/db")
    assert pg["pool_pre_ping"] is True
    assert pg["connect_args"]["connect_timeout"] <= 10
    sqlite = engine_options_for("sqlite:///x")
    assert "pool_pre_ping" not in sqlite
    assert "connect_timeout" not in sqlite.get("connect_args", {})


def test_no_configuration_means_sqlite_in_the_instance_folder(tmp_path: Path):
    settings = load_settings(tmp_path, environ={})
    assert settings.database_url == f"sqlite:///{tmp_path / 'movie_lottery.sqlite3'}"
    assert settings.kinopoisk_api_url == "https://api.kinopoisk.dev"
    assert settings.qbit_category == "movie-lottery"


def test_local_secret_key_is_generated_once_and_kept(tmp_path: Path):
    first = load_settings(tmp_path, environ={}).secret_key
    second = load_settings(tmp_path, environ={}).secret_key
    assert len(first) >= 40
    assert first == second
    assert (tmp_path / "secret_key").read_text().strip() == first


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        load_settings(tmp_path, environ={"RENDER": "true"})


def test_render_database_url_is_normalised(tmp_path: Path):
    settings = load_settings(tmp_path, environ={"DATABASE_URL": "postgres://u:p@h/db", "SECRET_KEY": "k"})
    assert settings.database_url == "postgresql+psycopg2://u:p@h/db"


@pytest.mark.parametrize(
    ("host", "user", "password", "expected"),
    [
        ("nas.local", "admin", "pw", True),
        ("nas.local", "admin", "", False),
        ("", "admin", "pw", False),
        ("nas.local", None, "pw", False),
    ],
)
def test_qbittorrent_counts_as_configured_only_with_host_user_and_password(host, user, password, expected):
    assert qbit_configured({"QBIT_HOST": host, "QBIT_USERNAME": user, "QBIT_PASSWORD": password}) is expected


def test_blank_values_count_as_unset(tmp_path: Path):
    settings = load_settings(tmp_path, environ={"SECRET_KEY": "k", "ADMIN_PASSWORD": "  ", "QBIT_PORT": ""})
    assert settings.admin_password is None
    assert settings.qbit_port is None


def test_gunicorn_binds_every_interface_on_port_and_reads_worker_count():
    assert gunicorn_settings({"PORT": "10000", "WEB_CONCURRENCY": "3"}) == {
        "bind": "0.0.0.0:10000",
        "workers": 3,
    }
    assert gunicorn_settings({}) == {"bind": "0.0.0.0:5000", "workers": 1}


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, True), ("", True), ("1", True), ("true", True), ("Yes", True), ("0", False), ("false", False),
     ("off", False), (" NO ", False)],
)  # fmt: skip
def test_qbittorrent_certificates_are_checked_unless_turned_off(tmp_path, value, expected):
    environ = {"SECRET_KEY": "k"} if value is None else {"SECRET_KEY": "k", "QBIT_VERIFY_TLS": value}
    settings = load_settings(tmp_path, environ=environ)
    assert settings.qbit_verify_tls is expected
    assert settings.as_flask_config()["QBIT_VERIFY_TLS"] is expected


def test_a_mistyped_verify_setting_stops_the_start_instead_of_guessing(tmp_path):
    with pytest.raises(ValueError, match="QBIT_VERIFY_TLS"):
        load_settings(tmp_path, environ={"SECRET_KEY": "k", "QBIT_VERIFY_TLS": "nope"})


@pytest.mark.parametrize(
    ("environ", "hops"),
    [
        ({}, 0),  # self-hosted, no proxy: X-Forwarded-For is the client's own writing
        ({"RENDER": "true"}, 1),  # Render's one proxy
        ({"PROXY_HOPS": "2"}, 2),
        ({"RENDER": "true", "PROXY_HOPS": "0"}, 0),
        ({"PROXY_HOPS": " "}, 0),
    ],
)
def test_proxy_hops_default_to_the_deploys_proxies(tmp_path: Path, environ, hops):
    assert load_settings(tmp_path, environ={"SECRET_KEY": "k", **environ}).proxy_hops == hops


@pytest.mark.parametrize("value", ["-1", "6", "one"])
def test_a_proxy_hops_value_that_makes_no_sense_stops_the_start(tmp_path: Path, value):
    with pytest.raises(ValueError):
        load_settings(tmp_path, environ={"SECRET_KEY": "k", "PROXY_HOPS": value})


@pytest.mark.parametrize(
    ("value", "expected"), [(None, False), ("", False), ("true", True), ("1", True), ("no", False)]
)
def test_open_site_is_off_unless_the_owner_says_so(tmp_path: Path, value, expected):
    environ = {"SECRET_KEY": "k"} if value is None else {"SECRET_KEY": "k", "OPEN_SITE": value}
    settings = load_settings(tmp_path, environ=environ)
    assert settings.open_site is expected
    assert settings.as_flask_config()["OPEN_SITE"] is expected


def test_an_open_site_value_that_is_not_yes_or_no_stops_the_start(tmp_path: Path):
    with pytest.raises(ValueError, match="true or false"):
        load_settings(tmp_path, environ={"SECRET_KEY": "k", "OPEN_SITE": "maybe"})


@pytest.mark.parametrize(("value", "cpus"), [("0.1", 0.1), ("2", 2.0), (None, None), ("", None), ("x", None),
                                             ("nan", None), ("-1", None)])  # fmt: skip
def test_the_instance_cpu_share_is_read_from_render(tmp_path, value, cpus):
    environ = {"SECRET_KEY": "k"} if value is None else {"SECRET_KEY": "k", "RENDER_CPU_COUNT": value}
    assert load_settings(tmp_path, environ=environ).as_flask_config()["CPUS"] == cpus
