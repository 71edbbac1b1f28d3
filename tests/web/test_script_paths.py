"""Paths built by the pages' scripts carry only ids, never a person's text (issue 21, item 8): a browser
resolves «.» and «..» (even %2E%2E) out of a path before it is sent, so a name cannot be a path segment."""

from __future__ import annotations

import re
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[2] / "movie_lottery" / "static" / "js"
# What may go into a path a script builds: ids the server made (never a dot segment) and a query string.
IDS = re.compile(r"^encodeURIComponent\((poll\.id|lottery\.id|group)\)$|^query$")


def test_no_script_puts_user_text_into_a_path():
    offending = []
    for script in SCRIPTS.rglob("*.js"):
        for literal in re.findall(r"`(/[^`]*)`", script.read_text()):
            path = literal.split("?", 1)[0].split("#", 1)[0]
            for part in re.findall(r"\$\{([^}]*)\}", path):
                if not IDS.match(part):
                    offending.append(f"{script.name}: {literal}")
    assert offending == []


def test_the_manage_page_sends_a_voters_name_in_the_body():
    poll_js = (SCRIPTS / "poll.js").read_text()
    assert "encodeURIComponent(name)" not in poll_js
    assert "body: { token: manage.token, name }" in poll_js
