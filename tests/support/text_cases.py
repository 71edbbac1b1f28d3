"""The table of text cases (fixtures/text_cases.json), shared by the Python tests and the browser test of the
pages' script."""

from __future__ import annotations

import json
from pathlib import Path

CASES_FILE = Path(__file__).resolve().parent / "fixtures" / "text_cases.json"


def load_cases(*fields: str) -> list[dict]:
    cases = json.loads(CASES_FILE.read_text(encoding="utf-8"))["cases"]
    return [case for case in cases if not fields or case["field"] in fields]


def case_id(case: dict) -> str:
    return f"{case['field']}: {case['why']}"
