"""The pages' script checks names and titles with the server's rule (static/js/lib/text-rules.js reads it
from the page's `text-rules` block), held to the Python rule's own table of cases: same verdict, same kept
form, lengths in code points (a name of 40 emoji is 80 UTF-16 units).

The module is imported from the site itself and the rule read from a served page, so what is tested is what
a browser gets.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_poll_flow import create_poll, enter_name
from tests.support.text_cases import load_cases

pytestmark = pytest.mark.e2e

MODULE = "/static/js/lib/text-rules.js"
CHECKED_IN_THE_BROWSER = ("participant_name", "title")


def test_the_pages_script_gives_every_case_of_the_table_the_servers_verdict(live_server, page):
    page.goto(live_server.url + "/")
    cases = load_cases(*CHECKED_IN_THE_BROWSER)
    verdicts = page.evaluate(
        """async ([path, cases]) => {
          const rules = await import(path);
          return cases.map((c) => {
            const result = rules.checkText(c.value, rules.pageRule(c.field));
            return result.ok ? { accepted: true, kept: result.value } : { accepted: false };
          });
        }""",
        [MODULE, cases],
    )
    expected = [
        {"accepted": True, "kept": c["kept"]} if c["accepted"] else {"accepted": False} for c in cases
    ]
    wrong = [
        f"{case['field']}: {case['why']}: {got}"
        for case, got, want in zip(cases, verdicts, expected, strict=True)
        if got != want
    ]
    assert wrong == []


def test_a_voter_named_with_forty_emoji_gets_to_the_ballot(live_server, page):
    """The input lets a name at the limit be typed (maxlength counts UTF-16 units) and the script takes it."""
    poll = create_poll(live_server.url)
    page.goto(poll["poll_url"])
    enter_name(page, "😀" * 40)
    expect(page.locator("#name-error")).to_be_hidden()
    expect(page.locator("#voting-as")).to_have_text("вы — " + "😀" * 40)
