"""The pages' own writes pass the site's request rule: each says JSON, with the page's CSRF token.

Every fetch of the pages goes through static/js/lib/api.js; a bodiless POST (the library's download button) is
the case a cross-site form could imitate, so it is the one the server refuses without JSON or the token.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

CALL = """async ([path, method]) => {
  const { api } = await import('/static/js/lib/api.js');
  try { return (await api(path, { method })).status; } catch (error) { return [error.status, error.code]; }
}"""


@pytest.mark.parametrize("cookies", ["with the session cookie", "with cookies cleared"])
def test_a_bodiless_post_from_the_pages_gets_past_the_rule(live_server, page, cookies):
    created = live_server.app.test_client().post(
        "/api/lotteries", json={"movies": [{"name": "Сталкер"}, {"name": "Солярис"}]}
    )
    headers: list[dict] = []
    page.on("request", lambda request: headers.append(request.headers) if request.method == "POST" else None)
    page.goto(live_server.url + "/")
    if cookies == "with cookies cleared":
        page.context.clear_cookies()
    # No token in the body: the draw refuses it (403 bad_token), which it can only do once the rule let it in.
    answer = page.evaluate(CALL, [f"/api/lotteries/{created.get_json()['id']}/draw", "POST"])
    assert answer == [403, "bad_token"]
    [sent] = headers
    assert sent["content-type"] == "application/json" and sent["x-csrftoken"]
