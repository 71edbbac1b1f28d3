"""``flask`` commands. Alembic is bound here, only when a command runs, so web workers never import it."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from movie_lottery.ops.migrations import enable_migrations


def register_cli(app: Flask) -> None:
    # Inside a click command (the ``flask`` CLI), bind migrations; gunicorn workers skip this.
    if click.get_current_context(silent=True) is not None:
        enable_migrations(app)

    @app.cli.command("demo")
    def demo_command() -> None:
        """Add a demo lottery so a fresh site has something to show."""
        from movie_lottery.lottery.service import create_lottery

        movies = [
            {
                "name": "Тихая гавань",
                "year": 2019,
                "genres": ["драма"],
                "countries": ["Россия"],
                "rating": 7.4,
            },
            {"name": "Гавань", "year": 2008, "genres": ["детектив"], "countries": ["Франция"], "rating": 6.8},
            {"name": "Маяк на краю света", "year": 2021, "genres": ["приключения"]},
        ]
        created = create_lottery(movies)
        click.echo(
            f"demo lottery: /l/{created.lottery.id}  play: /l/{created.lottery.id}/play/{created.play_token}"
        )

    @app.cli.command("doctor")
    @click.option("--json", "as_json", is_flag=True, help="Print the verdicts as JSON, for scripts.")
    @click.option(
        "--kinopoisk",
        is_flag=True,
        help="Also check the Kinopoisk token: costs one request of today's quota.",
    )
    def doctor_command(as_json: bool, kinopoisk: bool) -> None:
        """What is wrong with this deploy: one line per check. Exit status 1 when something is broken."""
        from movie_lottery.ops import doctor

        checks = doctor.run_all(app, kinopoisk=kinopoisk)
        click.echo(doctor.as_json(checks) if as_json else doctor.table(checks))
        if doctor.broken(checks):
            raise click.exceptions.Exit(1)

    register_torrent_commands(app)
    register_library_commands(app)
    register_telegram_commands(app)


def register_telegram_commands(app: Flask) -> None:
    """``flask telegram setup``: register the webhook by hand (the site also does it in the background)."""

    @app.cli.group("telegram")
    def telegram_group() -> None:
        """The Telegram bot: register its webhook, see what Telegram says."""

    @telegram_group.command("setup")
    def telegram_setup() -> None:
        """Register the webhook (SITE_URL + /telegram/webhook, with its secret); print Telegram's answer."""
        from movie_lottery.core.config import telegram_configured
        from movie_lottery.ops.doctor.telegram import telegram_check
        from movie_lottery.telegram import registration
        from movie_lottery.telegram.worker import client_from_config

        if not telegram_configured(app.config):
            raise click.ClickException("TELEGRAM_BOT_TOKEN не задан: боту нечего регистрировать")
        if registration.wanted(app.config) is None:
            raise click.ClickException("Нет публичного https-адреса: задайте SITE_URL (https://…)")
        client = client_from_config(app.config)
        outcome = registration.register(client, app.config)
        if not outcome.get("ok"):
            raise click.ClickException(f"Telegram не принял вебхук: {outcome.get('error')}")
        click.echo(f"вебхук зарегистрирован: {outcome['url']}")
        check = telegram_check(app.config, ask_telegram=True)
        click.echo(f"{check.message}" + (f"\n→ {check.fix}" if check.fix else ""))


def register_torrent_commands(app: Flask) -> None:
    """``flask torrents check`` and ``flask torrents retry``: the owner's tools when something looks stuck."""

    @app.cli.group("torrents")
    def torrents_group() -> None:
        """qBittorrent: check the connection, send the pending downloads and removals."""

    @torrents_group.command("check")
    def torrents_check() -> None:
        """Is qBittorrent reachable? Its version and our torrents. Exit code 1 when it is not."""
        from movie_lottery.core.config import qbit_configured
        from movie_lottery.downloads import queue as downloads
        from movie_lottery.downloads.status import client_from_config
        from movie_lottery.integrations.qbittorrent import TorrentClientError

        if not qbit_configured(app.config):
            click.echo("qBittorrent не настроен: задайте QBIT_HOST, QBIT_USERNAME и QBIT_PASSWORD.")
            raise click.exceptions.Exit(1)
        client = client_from_config(app.config)
        try:
            version = client.version()
            torrents = client.list_torrents()
        except TorrentClientError as exc:
            click.echo(f"qBittorrent {client.base_url}: недоступен — {exc.reason}")
            raise click.exceptions.Exit(1) from None
        finally:
            client.close()
        click.echo(f"qBittorrent {client.base_url}: на связи, версия {version}")
        click.echo(f"Категория «{client.category}»:")
        for torrent in torrents:
            done = 100 if torrent.progress >= 1 else min(int(torrent.progress * 100), 99)
            click.echo(f"  {torrent.info_hash[:10]}  {torrent.state:<12} {done:>3}\u00a0%  {torrent.name}")
        if not torrents:
            click.echo("  в нашей категории торрентов нет")
        click.echo(f"В очереди на отправку: {len(downloads.pending_downloads(limit=1000))}")
        click.echo(f"Ждут удаления: {len(downloads.removals_in_progress(limit=1000))}")

    @torrents_group.command("retry")
    def torrents_retry() -> None:
        """Send the pending downloads and removals now (the site does it by itself; for the impatient)."""
        from movie_lottery.downloads import queue as downloads
        from movie_lottery.downloads.status import TorrentStatusService

        report = TorrentStatusService(app, autostart=False).run_cycle()
        left = len(downloads.pending_downloads(limit=1000))
        removals = len(downloads.removals_in_progress(limit=1000))
        if not report.ok:
            click.echo(
                f"qBittorrent недоступен: {report.error}. Ждут отправки: {left}. Ждут удаления: {removals}"
            )
            raise click.exceptions.Exit(1)
        done = f"Отправлено: {report.sent}. Ждут отправки: {left}"
        click.echo(f"{done}. Убрано: {report.removed}. Ждут удаления: {removals}")


def register_library_commands(app: Flask) -> None:
    """``flask library export`` and ``flask library import``: the backup of library, lotteries and polls."""

    @app.cli.group("library")
    def library_group() -> None:
        """Backups: the library (with magnets), every lottery and every poll as one JSON file."""

    @library_group.command("export")
    @click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write to this file instead of standard output.",
    )
    def library_export(output: Path | None) -> None:
        """Print the backup: the same data always gives the same bytes, so two backups can be diffed."""
        from movie_lottery.backup.verify import UNRESTORABLE_FIX, UNRESTORABLE_TEXT, take_backup

        # Checked by the import's rules and recorded (backup/verify.py): `flask doctor`, /status and the
        # library say when the last one that restores was taken, or what to fix.
        taken = take_backup()
        if output is None:
            # Bytes, not text: the file is UTF-8 whatever the terminal's locale says.
            click.echo(taken.body, nl=False)
        else:
            output.write_bytes(taken.body)
            click.echo(f"Резервная копия записана в {output}", err=True)
        if not taken.restores:
            # Written all the same (it holds everything), but a script must notice: exit code 1.
            click.echo(f"ВНИМАНИЕ: {UNRESTORABLE_TEXT} {taken.problem}. {UNRESTORABLE_FIX}", err=True)
            raise click.exceptions.Exit(1)

    @library_group.command("import")
    @click.argument("file", type=click.File("rb"))
    @click.option("--dry-run", is_flag=True, help="Only report what would change; write nothing.")
    def library_import(file, dry_run: bool) -> None:
        """Load a backup FILE ("-" reads standard input). Idempotent: a second run changes nothing."""
        from movie_lottery.backup.transfer import import_data, loads_backup
        from movie_lottery.core.errors import DomainError

        try:
            report = import_data(loads_backup(file.read()), dry_run=dry_run)
        except DomainError as exc:
            click.echo(f"Копия не загружена, база не изменилась. {exc.message}", err=True)
            raise click.exceptions.Exit(1) from None
        click.echo(report.describe())
