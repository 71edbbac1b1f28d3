"""The table of "same movie" cases, shared by the Python tests and the browser test of the JavaScript copy."""

from __future__ import annotations

import json
from pathlib import Path

CASES_FILE = Path(__file__).resolve().parent / "fixtures" / "same_movie_cases.json"


def load_cases() -> list[dict]:
    return json.loads(CASES_FILE.read_text(encoding="utf-8"))["cases"]


def case_id(case: dict) -> str:
    return case["why"]
