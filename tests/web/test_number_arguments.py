"""Numbers in query strings (?n=, ?library=, ?ids=, ?page=) are ASCII digits of a sane length: «²», «١٢» or
five thousand nines are refused or ignored like any other word, never a 500."""

from __future__ import annotations

import pytest

ODD_NUMBERS = ["²", "9" * 5000, "٣"]


@pytest.mark.parametrize("odd", ODD_NUMBERS)
@pytest.mark.parametrize(
    "path",
    [
        "/library/random?kind=poll&n={}",
        "/?kind=poll&library={},1",
        "/library/live?ids={}",
        "/history?page={}",
    ],
)
def test_an_odd_number_in_the_query_is_not_a_500(client, path, odd):
    answer = client.get(path.format(odd))
    assert answer.status_code < 500, answer.get_data(as_text=True)[:300]
