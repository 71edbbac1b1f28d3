"""This process's Kinopoisk client (one connection pool) and gate, made on the first search."""

from __future__ import annotations

from flask import Flask

from movie_lottery.integrations.kinopoisk import KinopoiskClient
from movie_lottery.search.service import KinopoiskGate

KINOPOISK_EXTENSION = "kinopoisk"  # (client, gate) of this process, made on the first search


def kinopoisk_for(app: Flask) -> tuple[KinopoiskClient, KinopoiskGate]:
    """One client and one gate per process, made on first use."""
    extensions = app.extensions
    if KINOPOISK_EXTENSION not in extensions:
        config = app.config
        client = KinopoiskClient(
            token=config.get("KINOPOISK_API_TOKEN"),
            base_url=config["KINOPOISK_API_URL"],
            connect_timeout=config.get("KINOPOISK_CONNECT_TIMEOUT", 3.0),
            read_timeout=config.get("KINOPOISK_READ_TIMEOUT", 5.0),
        )
        extensions.setdefault(KINOPOISK_EXTENSION, (client, KinopoiskGate()))
    return extensions[KINOPOISK_EXTENSION]


def gate_if_made(app: Flask) -> KinopoiskGate | None:
    """The gate, if this process has searched yet: /status reports it without making one."""
    found = app.extensions.get(KINOPOISK_EXTENSION)
    return found[1] if found else None
