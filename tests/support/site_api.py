"""The site's JSON API called as a script calls it: no cookies, JSON in and out."""

from __future__ import annotations

import json
import urllib.request


def call(base: str, method: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        base + path, data=json.dumps(body or {}).encode(), method=method,
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}")
