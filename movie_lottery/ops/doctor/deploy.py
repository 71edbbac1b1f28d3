"""gunicorn: the settings each start command in this repository (render.yaml, Procfile) would run with, read
by gunicorn's own loader in a child process (runtime/gunicorn_probe.py); nothing is started. ~0.3 s.
The running server's own settings are judged by the same rule (``gunicorn_verdict``) on /status."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from movie_lottery.ops.doctor.verdicts import Check, fail, ok, warn

ROOT = Path(__file__).resolve().parents[3]  # the repository: render.yaml, Procfile, gunicorn_config.py

PROBE_TIMEOUT_SECONDS = 60
LAUNCHER = "movie_lottery.ops.launch"
MIN_TIMEOUT_SECONDS = 60  # below this a busy or slow-starting worker is killed (gunicorn's default is 30)


@dataclass(frozen=True)
class StartCommand:
    source: str  # "render.yaml", "Procfile"
    command: str
    gunicorn_args: list[str] | None  # None: the command starts no gunicorn


def start_commands(root: Path) -> list[StartCommand]:
    """The web start commands written in this repository: render.yaml's startCommand, Procfile's web."""
    found: list[StartCommand] = []
    blueprint = root / "render.yaml"
    if blueprint.exists():
        import yaml

        document = yaml.safe_load(blueprint.read_text(encoding="utf-8")) or {}
        for service in document.get("services") or []:
            if service.get("type") == "web" and service.get("startCommand"):
                command = str(service["startCommand"])
                found.append(StartCommand("render.yaml", command, gunicorn_args(command)))
    procfile = root / "Procfile"
    if procfile.exists():
        for line in procfile.read_text(encoding="utf-8").splitlines():
            name, _, command = line.partition(":")
            if name.strip() == "web" and command.strip():
                found.append(StartCommand("Procfile", command.strip(), gunicorn_args(command)))
    return found


def gunicorn_args(command: str) -> list[str] | None:
    """The arguments of the gunicorn in a shell command line (``a && gunicorn -c f app``, or gunicorn as
    the launcher's command: ``python -m movie_lottery.ops.launch gunicorn -c f app``), or None."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    words = list(lexer)
    segments: list[list[str]] = [[]]
    for word in words:
        if word and set(word) <= set(";&|"):
            segments.append([])
        else:
            segments[-1].append(word)
    for segment in segments:
        while segment and "=" in segment[0] and not segment[0].startswith("-"):
            segment = segment[1:]  # VAR=value before the command
        if len(segment) >= 3 and segment[1:3] == ["-m", LAUNCHER]:
            segment = segment[3:]  # the launcher execs the command it is given (ops/launch.py)
            if segment[:1] == ["--"]:
                segment = segment[1:]
        if segment and Path(segment[0]).name == "gunicorn":
            return segment[1:]
        if (
            len(segment) >= 3
            and Path(segment[0]).name.startswith("python")
            and segment[1:3] == ["-m", "gunicorn"]
        ):
            return segment[3:]
    return None


def load_gunicorn_settings(
    args: list[str], root: Path, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """What ``gunicorn ARGS`` would run with, read by gunicorn itself in a child process (see
    gunicorn_probe.py) started in ``root`` with this process's environment (``env`` replaces it in tests).
    Raises RuntimeError with gunicorn's own words when it refuses the settings."""
    result = subprocess.run(
        [sys.executable, "-m", "movie_lottery.runtime.gunicorn_probe", *args],
        cwd=root,
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        timeout=PROBE_TIMEOUT_SECONDS,
        check=False,
    )
    if result.returncode != 0:
        lines = [line.strip() for line in (result.stderr or result.stdout).splitlines() if line.strip()]
        raise RuntimeError(lines[-1] if lines else f"exit status {result.returncode}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def gunicorn_checks(
    root: Path,
    *,
    expected_bind: str,
    on_render: bool,
    cpus: float | None = None,
    env: Mapping[str, str] | None = None,
) -> list[Check]:
    checks = []
    for start in start_commands(root):
        name = f"gunicorn: {start.source}"
        if start.gunicorn_args is None:
            checks.append(fail(name, f"команда запуска не запускает gunicorn: {start.command}"))
            continue
        try:
            settings = load_gunicorn_settings(start.gunicorn_args, root, env)
        except (RuntimeError, OSError, subprocess.SubprocessError, ValueError) as exc:
            checks.append(
                fail(name, f"gunicorn не принял настройки: {exc}", "Исправьте команду или gunicorn_config.py")
            )
            continue
        checks.append(
            gunicorn_verdict(
                name,
                settings,
                expected_bind=expected_bind,
                on_render=on_render,
                cpus=cpus,
                args=start.gunicorn_args,
            )
        )
    if not checks:
        checks.append(warn("gunicorn", "ни render.yaml, ни Procfile не нашлись: проверять нечего"))
    return checks


# Workers whose every request holds a thread while the client sends it: a slow client takes one whole.
THREAD_PER_REQUEST_WORKERS = frozenset({"sync", "gthread"})


def describe_gunicorn(settings: Mapping[str, Any]) -> str:
    workers, worker_class = settings["workers"], settings["worker_class"]
    bind = ", ".join(settings.get("bind") or [])
    if worker_class in THREAD_PER_REQUEST_WORKERS:
        each = f"потоков {settings['threads']}"
    else:  # gevent: connections, not threads, are what a worker holds at once
        each = f"до {settings.get('worker_connections', '?')} соединений"
    return f"timeout {settings['timeout']} с, воркеров {workers} × {each} ({worker_class}), bind {bind}"


def gunicorn_verdict(
    name: str,
    settings: Mapping[str, Any],
    *,
    expected_bind: str | None,
    on_render: bool,
    cpus: float | None = None,
    args: list[str] | None = None,
) -> Check:
    """Judge settings gunicorn would run (or runs) with. ``cpus``: the instance's share of CPUs, when known.
    ``args``: the start command's, to see whether it names the settings file itself; None for the settings
    of the running server."""
    seen = describe_gunicorn(settings)
    config_file = settings.get("config_file")
    if settings["timeout"] < MIN_TIMEOUT_SECONDS:
        why = "файл настроек не прочитан" if not config_file else f"так задано в {config_file}"
        return fail(
            name,
            f"{seen}: воркер, занятый дольше {settings['timeout']} с, будет убит (WORKER TIMEOUT) — {why}",
            'Запускайте gunicorn -c gunicorn_config.py "movie_lottery:create_app()" из корня репозитория',
        )
    if on_render and expected_bind and expected_bind not in (settings.get("bind") or []):
        return fail(
            name,
            f"{seen}: Render ждёт сайт на {expected_bind}",
            "Уберите --bind из команды запуска: gunicorn_config.py слушает 0.0.0.0:$PORT",
        )
    if settings["worker_class"] in THREAD_PER_REQUEST_WORKERS:
        held = "воркер целиком" if settings["worker_class"] == "sync" else "поток"
        return warn(
            name,
            f"{seen}: по одному запросу на поток — медленный клиент (недописанный запрос, загрузка по "
            f"байту в секунду) занимает {held}, и несколько таких останавливают сайт",
            "gunicorn_config.py задаёт gevent: запускайте с -c gunicorn_config.py",
        )
    if cpus is not None and cpus < 1 and settings["workers"] > 1:
        return warn(
            name,
            f"{seen}: на {cpus:g} ядра второй воркер не прибавляет процессора, а запуск после сна дольше "
            "и памяти больше (README, «Cold start»)",
            "Задайте WEB_CONCURRENCY=1, как в render.yaml: gevent держит все соединения в одном воркере",
        )
    if args is not None and not _names_config(args):
        return warn(
            name,
            f"{seen}, но только потому, что gunicorn сам читает ./gunicorn.conf.py из папки запуска",
            "Назовите файл в команде: gunicorn -c gunicorn_config.py …",
        )
    return ok(name, seen)


def _names_config(args: list[str]) -> bool:
    return any(arg in ("-c", "--config") or arg.startswith("--config=") for arg in args)
