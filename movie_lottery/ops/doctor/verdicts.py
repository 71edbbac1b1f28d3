"""A check's verdict (``ok``, ``warn``, ``fail``), and the table and JSON that ``flask doctor`` prints."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Literal

Verdict = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Check:
    name: str
    verdict: Verdict
    message: str
    fix: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)


def ok(name: str, message: str) -> Check:
    return Check(name, "ok", message)


def warn(name: str, message: str, fix: str | None = None) -> Check:
    return Check(name, "warn", message, fix)


def fail(name: str, message: str, fix: str | None = None) -> Check:
    return Check(name, "fail", message, fix)


def broken(checks: Iterable[Check]) -> bool:
    return any(check.verdict == "fail" for check in checks)


MARKS = {"ok": "OK", "warn": "ВНИМАНИЕ", "fail": "СБОЙ"}


def table(checks: list[Check]) -> str:
    """One line per check; what to do on the next line, when something is wrong."""
    width = max((len(check.name) for check in checks), default=0)
    lines = []
    for check in checks:
        lines.append(f"{MARKS[check.verdict]:<9} {check.name:<{width}}  {check.message}")
        if check.fix:
            lines.append(f"{'':<9} {'':<{width}}  → {check.fix}")
    failed = sum(check.verdict == "fail" for check in checks)
    warned = sum(check.verdict == "warn" for check in checks)
    if failed:
        lines.append(f"\nСбоев: {failed}, предупреждений: {warned}. Код выхода 1.")
    else:
        lines.append(f"\nСбоев нет, предупреждений: {warned}.")
    return "\n".join(lines)


def as_json(checks: list[Check]) -> str:
    return json.dumps(
        {"ok": not broken(checks), "checks": [check.as_dict() for check in checks]},
        ensure_ascii=False,
        indent=2,
    )
