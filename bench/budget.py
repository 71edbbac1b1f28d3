"""Render's free web instance as a budget on this machine: cgroup v1 groups with a tenth of a core.

external-facts.md: a free web service gets 0.1 CPU and 512 MB; as root, cgroup v1 reproduces that here. A
``Budget`` is a fresh set of groups — cpu (a 10 ms quota per 100 ms period), and on request cpuacct (the
CPU-seconds spent inside) and memory (a limit) — that either takes processes already running (``move``) or
is entered by a shell that writes its own pid and then execs a command (``shell_prefix``), so every child
is born inside. Leaving the context stops whatever is still inside and removes the groups.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
QUOTA_US, PERIOD_US = 10_000, 100_000  # Render's free instance: 0.1 CPU
MEMORY_BYTES = 512 * 1024 * 1024  # and 512 MB


def available(controllers: tuple[str, ...] = ("cpu",)) -> bool:
    """Root, and each controller's cgroup v1 hierarchy mounted and writable."""
    return os.geteuid() == 0 and all(
        (CGROUP_ROOT / name).is_dir() and (CGROUP_ROOT / name / "cgroup.procs").exists()
        and os.access(CGROUP_ROOT / name, os.W_OK)
        for name in controllers
    )  # fmt: skip


class Budget:
    """Fresh groups named ``name`` under each controller; ``with`` removes them and stops what is inside."""

    def __init__(self, name: str, controllers: tuple[str, ...] = ("cpu",), memory_bytes: int = MEMORY_BYTES):
        # cpu and cpuacct may be one hierarchy (cpu,cpuacct): then one group serves both
        self.by_controller = {c: (CGROUP_ROOT / c).resolve() / name for c in controllers}
        self.dirs = list(dict.fromkeys(self.by_controller.values()))
        self.controllers = controllers
        self.memory_bytes = memory_bytes
        self.made: list[Path] = []  # only what this object created is ever removed

    def _dir(self, controller: str) -> Path:
        return self.by_controller[controller]

    def create(self) -> Budget:
        for path in self.dirs:
            path.mkdir()
            self.made.append(path)
        cpu = self._dir("cpu")
        (cpu / "cpu.cfs_period_us").write_text(str(PERIOD_US))
        (cpu / "cpu.cfs_quota_us").write_text(str(QUOTA_US))
        if "memory" in self.controllers:
            (self._dir("memory") / "memory.limit_in_bytes").write_text(str(self.memory_bytes))
        return self

    def shell_prefix(self) -> str:
        """``sh -c`` text that puts the shell itself in every group; append ``exec <command>``."""
        return "".join(f"echo $$ > {path / 'cgroup.procs'} && " for path in self.dirs)

    def move(self, pid: int) -> None:
        for path in self.dirs:
            (path / "cgroup.procs").write_text(str(pid))

    def pids(self) -> list[int]:
        found: set[int] = set()
        for path in self.made:
            with contextlib.suppress(FileNotFoundError):
                found.update(int(line) for line in (path / "cgroup.procs").read_text().split())
        return sorted(found)

    def cpu_seconds(self) -> float:
        """CPU spent inside since the group was made (cpuacct.usage, nanoseconds)."""
        return int((self._dir("cpuacct") / "cpuacct.usage").read_text()) / 1e9

    def memory_peak_mb(self) -> float:
        """The group's peak charge (memory.max_usage_in_bytes: page cache included)."""
        return int((self._dir("memory") / "memory.max_usage_in_bytes").read_text()) / 2**20

    def unthrottle(self) -> None:
        """Lift the quota: a stop that is not measured need not crawl at a tenth of a core."""
        with contextlib.suppress(OSError):
            (self._dir("cpu") / "cpu.cfs_quota_us").write_text("-1")

    def remove(self, wait: float = 10.0) -> None:
        """SIGKILL whatever is still inside, wait until the groups are empty, rmdir them."""
        deadline = time.monotonic() + wait
        while (pids := self.pids()) and time.monotonic() < deadline:
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)
        for path in reversed(self.made):
            for _ in range(100):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # EBUSY while the last task is still exiting
                    time.sleep(0.05)

    def __enter__(self) -> Budget:
        try:
            return self.create()
        except BaseException:
            self.remove()
            raise

    def __exit__(self, *exc) -> None:
        self.remove()
