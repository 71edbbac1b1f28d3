"""The app under gunicorn with gunicorn_config.py on loopback: multi-process tests, drills, the bench."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.support.postgres import free_port

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
APP_SPEC = "movie_lottery:create_app()"
# Settings a developer's shell might carry that would change what is being tested.
UNSET_PREFIXES = (
    "QBIT_",
    "KINOPOISK_",
    "ADMIN_",
    "API_",
    "OPEN_SITE",
    "PROXY_HOPS",
    "RENDER",
    "GUNICORN_CMD_ARGS",
    "MOVIE_LOTTERY_LAUNCH",
)


SECRET_KEY = "gunicorn-test-key"  # unless a test's env says otherwise (bench/seed.py signs cookies with it)


class GunicornServer:
    def __init__(
        self,
        database_url: str,
        workers: int = 3,
        env: dict[str, str] | None = None,
        log_path: Path | None = None,
        app_spec: str = APP_SPEC,
        extra_args: tuple[str, ...] = (),
        config: str = "gunicorn_config.py",
        launched: bool = False,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.app_spec = app_spec
        self.extra_args = extra_args  # command-line settings override the config file's
        self.config = config  # bench/gthread_config.py: the threaded worker, for side-by-side figures
        self.launched = launched  # started as render.yaml starts it: by the launcher (ops/launch.py)
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(UNSET_PREFIXES)}
        base = {"DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY}
        self.env = {**inherited, **base, **(env or {})}
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.started_in: float | None = None  # seconds from exec to the first 200 on /health

    def start(self, timeout: float = 20.0) -> GunicornServer:
        log = open(self.log_path, "w") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        command = [
            GUNICORN, "-c", self.config, "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(self.workers), "--no-control-socket", *self.extra_args, self.app_spec,
        ]  # fmt: skip
        if self.launched:
            command = [sys.executable, "-m", "movie_lottery.ops.launch", *command]
        launched = time.monotonic()
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = launched + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=1) as response:
                    if response.status == 200:
                        self.started_in = time.monotonic() - launched
                        return self
            except OSError:
                time.sleep(0.01)
        self.stop()
        raise RuntimeError("gunicorn did not answer /health in time")

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        pid = self.process.pid
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> GunicornServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
