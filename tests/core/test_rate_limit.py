"""The one rate limit: a count per (bucket, address) in the database, one statement per hit."""

from __future__ import annotations

import sqlalchemy as sa

from movie_lottery.core import rate_limit
from movie_lottery.core.extensions import db
from movie_lottery.core.models import RateLimitHit

NOW = 1_800_000_000


def test_hits_within_the_limit_pass_then_the_key_waits_out_its_window(app_context):
    verdicts = [rate_limit.hit("ballot:x", "198.51.100.1", limit=3, window=60, now=NOW + i) for i in range(5)]
    assert [v.allowed for v in verdicts] == [True, True, True, False, False]
    assert verdicts[-1].retry_after == 60 - 4
    assert rate_limit.hit("ballot:y", "198.51.100.1", limit=3, window=60, now=NOW).allowed  # another bucket
    assert rate_limit.hit("ballot:x", "198.51.100.2", limit=3, window=60, now=NOW).allowed  # another address
    assert rate_limit.hit(
        "ballot:x", "198.51.100.1", limit=3, window=60, now=NOW + 60
    ).allowed  # a new window


def test_a_hit_may_weigh_its_size(app_context):
    assert rate_limit.hit("create", "k", limit=1000, window=3600, now=NOW, cost=600).allowed
    assert not rate_limit.hit("create", "k", limit=1000, window=3600, now=NOW + 1, cost=600).allowed
    assert not rate_limit.hit("create", "k", limit=1000, window=3600, now=NOW + 2, cost=1).allowed  # spent


def test_expired_rows_are_pruned_when_a_window_starts(app_context):
    for i in range(5):
        rate_limit.hit("ballot:old", f"198.51.100.{i}", limit=3, window=60, now=NOW)
    rate_limit.hit(
        "ballot:other", "198.51.100.1", limit=3, window=60, now=NOW + rate_limit.LONGEST_WINDOW + 1
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RateLimitHit)) == 1


def test_the_origin_tag_is_a_keyed_hash_not_the_address():
    first = rate_limit.origin_of("198.51.100.7", "secret one")
    assert first.key == "198.51.100.7" and "198" not in first.tag and len(first.tag) == 16
    assert rate_limit.origin_of("198.51.100.7", "secret one") == first
    assert rate_limit.origin_of("198.51.100.7", "secret two").tag != first.tag


def test_the_wait_reads_as_a_person_says_it():
    assert rate_limit.wait_words(1) == "1\u00a0секунду"
    assert rate_limit.wait_words(42) == "42\u00a0секунды"
    assert rate_limit.wait_words(60) == "60\u00a0секунд"
    assert rate_limit.wait_words(3567) == "60\u00a0минут"
