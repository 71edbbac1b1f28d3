"""`make bench BENCH_ARGS=--phone`: each page's first view as a mid-range phone sees it, with and without
compression.

A throwaway PostgreSQL (SQLite with --sqlite) holds a group's data (bench/group_seed.py); two one-worker
gunicorns serve it with gunicorn_config.py (gevent), one as deployed and one with Flask-Compress switched off
(``COMPRESS_REGISTER = False``). Debian's Chromium, driven by Playwright with the browser tests' flags, opens
each page in a fresh context (an empty cache: a first view) at 390×844 with the CPU throttled 4×
(``Emulation.setCPUThrottlingRate``) and DevTools' «Slow 4G» (``Network.emulateNetworkConditions``: 150 ms
round trip, 1.6 Mbit/s down, 750 kbit/s up), then opens it again in the same context (a second view: what the
browser's cache saves).

Per page: the bytes the site sent (``encodedDataLength``: headers and bodies as they crossed the wire),
the requests to the site, and the time until usable: DOMContentLoaded (every module script has run) and the
page's main control visible, whichever comes later, from the start of navigation. Posters live on
Kinopoisk's servers; the browser tests' flags resolve no outside host, so they fail at once and are not in
the figures (a real phone fetches them lazily, after the page is usable).
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from bench.group_seed import seed_group
from tests.support.gunicorn_server import GunicornServer

PHONE = {"width": 390, "height": 844}
CPU_SLOWDOWN = 4
# DevTools' «Slow 4G» preset: bytes per second, milliseconds.
NETWORK = {"offline": False, "latency": 150, "downloadThroughput": 200_000, "uploadThroughput": 93_750}
USABLE_MS = 2000
UNCOMPRESSED_SPEC = "bench.phone:create_app_uncompressed()"
CACHED_STATIC_SPEC = "bench.phone:create_app_caching_static()"

# (path, what it is, the control that makes it usable)
PAGES = [
    ("/", "builder (the owner's home)", "#movie-name"),
    ("/library", "library, first page", ".library-card"),
    ("/history", "history", "main h1"),
    ("/l/{waiting}", "waiting page (a friend)", "#draw-status-text"),
    ("{play}", "play page (the spinner)", "#draw-button"),
    ("/l/{drawn}", "result page", "#verdict"),
    ("/p/{poll}", "open poll (a voter)", "#voter-name"),
    ("{manage}", "poll's manage page", "main h1"),
    ("/status", "status (the owner)", '[data-testid="status-summary"]'),
]

# Records, in the page itself, the first frame where the control is laid out and visible.
WATCH_CONTROL = """
(selector) => {
  window.__visibleAt = null;
  const check = () => {
    const el = document.querySelector(selector);
    if (el) {
      const box = el.getBoundingClientRect();
      if (box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== "hidden") {
        window.__visibleAt = performance.now();
        return;
      }
    }
    requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
}
"""


def create_app_uncompressed():
    """The app as deployed but with Flask-Compress's hook not registered: the 'before' figures."""
    from movie_lottery import create_app

    return create_app({"COMPRESS_REGISTER": False})


def create_app_caching_static():
    """As deployed, but static files cached for a day without asking again: the most a service worker (or
    versioned, immutable static URLs) could save on a second view."""
    from movie_lottery import create_app

    return create_app({"SEND_FILE_MAX_AGE_DEFAULT": 86400})


@dataclass
class View:
    bytes: int
    requests: int
    dcl_ms: float
    visible_ms: float
    load_ms: float
    encodings: frozenset[str]

    @property
    def usable_ms(self) -> float:
        return max(self.dcl_ms, self.visible_ms)


def post_json(url: str, body: dict) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def open_view(page, client, url: str, selector: str) -> View:
    """Navigate and wait for the page to be usable and loaded; count what crossed the wire from the site."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    sent: dict[str, str] = {}
    finished: dict[str, int] = {}
    encodings: set[str] = set()

    def on_response(event: dict) -> None:
        response = event["response"]
        if response["url"].startswith(origin):
            sent[event["requestId"]] = response["url"]
            headers = {k.lower(): v for k, v in response.get("headers", {}).items()}
            encodings.add(headers.get("content-encoding", "identity"))

    def on_finished(event: dict) -> None:
        finished[event["requestId"]] = int(event["encodedDataLength"])

    client.on("Network.responseReceived", on_response)
    client.on("Network.loadingFinished", on_finished)
    page.evaluate("() => 0")  # the previous document's listeners are gone with it
    page.goto(url, wait_until="load", timeout=60_000)
    page.wait_for_function("() => window.__visibleAt !== null", timeout=30_000)
    page.wait_for_timeout(300)  # late module imports and fetches the page starts itself
    timing = page.evaluate(
        "() => { const n = performance.getEntriesByType('navigation')[0];"
        " return {dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd, visible: window.__visibleAt}; }"
    )
    client.remove_listener("Network.responseReceived", on_response)
    client.remove_listener("Network.loadingFinished", on_finished)
    return View(
        bytes=sum(finished.get(request_id, 0) for request_id in sent),
        requests=len(sent),
        dcl_ms=timing["dcl"],
        visible_ms=timing["visible"],
        load_ms=timing["load"],
        encodings=frozenset(encodings),
    )


def visit(browser, url: str, selector: str) -> tuple[View, View]:
    """A first view with an empty cache, then a second in the same context (the cache the first left)."""
    context = browser.new_context(viewport=PHONE, locale="ru-RU", timezone_id="Europe/Moscow")
    context.add_init_script(f"({WATCH_CONTROL})({json.dumps(selector)})")
    page = context.new_page()
    client = context.new_cdp_session(page)
    client.send("Network.enable")
    client.send("Network.emulateNetworkConditions", NETWORK)
    client.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    first = open_view(page, client, url, selector)
    second = open_view(page, client, url, selector)
    context.close()
    return first, second


def median_view(views: list[View]) -> View:
    chosen = sorted(views, key=lambda view: view.usable_ms)[len(views) // 2]
    return View(
        bytes=int(statistics.median(view.bytes for view in views)),
        requests=chosen.requests,
        dcl_ms=chosen.dcl_ms,
        visible_ms=chosen.visible_ms,
        load_ms=chosen.load_ms,
        encodings=frozenset().union(*(view.encodings for view in views)),
    )


def measure(database_url: str, runs: int) -> tuple[list[tuple[str, str]], dict, str]:
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    ids = seed_group(database_url)
    results: dict[tuple[str, str], tuple[View, View]] = {}
    with (
        GunicornServer(database_url, workers=1) as compressed,
        GunicornServer(database_url, workers=1, app_spec=UNCOMPRESSED_SPEC) as plain,
        GunicornServer(database_url, workers=1, app_spec=CACHED_STATIC_SPEC) as cached,
    ):
        movies = {"movies": [{"name": "Солярис"}, {"name": "Сталкер"}]}
        lottery = post_json(compressed.url + "/api/lotteries", movies)
        poll = post_json(compressed.url + "/api/polls", movies)
        values = {
            "waiting": ids.waiting_lottery,
            "drawn": ids.drawn_lottery,
            "poll": ids.open_poll,
            "play": urlsplit(lottery["play_url"]).path,
            "manage": urlsplit(poll["manage_url"]).path,
        }
        pages = [(path.format(**values), label) for path, label, _ in PAGES]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            for (path, _label), (_, _, selector) in zip(pages, PAGES, strict=True):
                for name, server in (("plain", plain), ("compressed", compressed), ("cached", cached)):
                    visits = [visit(browser, server.url + path, selector) for _ in range(runs)]
                    results[(path, name)] = (
                        median_view([first for first, _ in visits]),
                        median_view([second for _, second in visits]),
                    )
                    print(f"  {path} {name}: {results[(path, name)][0].usable_ms:.0f} ms", flush=True)
            accept = browser.new_page().evaluate("() => navigator.userAgent")
            browser.close()
    return pages, results, accept


def compression_cost(database_url: str, paths: list[str], repeats: int = 50) -> list[tuple[str, int, dict]]:
    """CPU per answer for each algorithm at the site's levels (web/compression.py), on this machine: what
    a kept page costs the worker on top of serving it (at Render's tenth of a core, ten times the wait)."""
    from flask_compress.flask_compress import _compress_data

    from movie_lottery import create_app

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench", "COMPRESS_REGISTER": False}
    )
    rows = []
    client = app.test_client()
    for path in paths:
        body = client.get(path).data
        costs = {}
        with app.app_context():
            for algorithm in ("zstd", "br", "gzip"):
                started = time.process_time()
                for _ in range(repeats):
                    packed = _compress_data(app, body, algorithm)
                costs[algorithm] = ((time.process_time() - started) / repeats * 1000, len(packed))
        rows.append((path, len(body), costs))
    return rows


def cost_report(rows: list[tuple[str, int, dict]]) -> list[str]:
    lines = [
        "",
        "What compressing one answer costs the worker (CPU ms on this machine, and the size it makes):",
        "",
        "| Answer | Bytes | zstd 3 | br 4 | gzip 6 |",
        "| --- | --- | --- | --- | --- |",
    ]
    for path, size, costs in rows:
        cells = [f"`{path if len(path) < 24 else path[:21] + '…'}`", size]
        cells += [f"{costs[name][0]:.2f} ms → {costs[name][1]}" for name in ("zstd", "br", "gzip")]
        lines.append("| " + " | ".join(str(cell) for cell in cells) + " |")
    return lines


def kb(count: int) -> str:
    return f"{count / 1024:.1f}"


def report(pages, results, costs, user_agent: str, args, database_url: str, seconds: float) -> str:
    lines = [
        "# On a phone: each page's first view",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · "
        f"database: {'PostgreSQL' if database_url.startswith('postgresql') else 'SQLite'} (a group's data) · "
        f"gunicorn gevent, 1 worker · {user_agent.split(')')[-1].strip()} at 390×844, "
        f"CPU ×{CPU_SLOWDOWN} slower, "
        f"{NETWORK['latency']} ms RTT, {NETWORK['downloadThroughput'] * 8 / 1e6:g} Mbit/s down · "
        f"median of {args.phone_runs} visits per row · {seconds:.0f} s in all",
        "",
        "Usable: DOMContentLoaded and the page's main control visible, from the start of navigation. "
        "KB: what the site sent, headers included. Second view: the same page again, the cache warm "
        "(static files as deployed: revalidated each time, 304s); static cached: a server whose static files "
        "carry a day's max-age, the most a service worker could save.",
        "",
        "| Page | Requests | KB before | KB after | Encoding | Usable before ms | Usable after ms "
        "| Load after ms | Second view: KB, usable ms | Second view, static cached: KB, usable ms "
        "| Under 2 s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for path, label in pages:
        before, _ = results[(path, "plain")]
        after, again = results[(path, "compressed")]
        _, ideal = results[(path, "cached")]
        encoding = ", ".join(sorted(after.encodings - {"identity"})) or "none"
        cells = [
            f"{label} `{path if len(path) < 24 else path[:21] + '…'}`",
            after.requests,
            kb(before.bytes),
            kb(after.bytes),
            encoding,
            f"{before.usable_ms:.0f}",
            f"{after.usable_ms:.0f}",
            f"{after.load_ms:.0f}",
            f"{kb(again.bytes)}, {again.usable_ms:.0f}",
            f"{kb(ideal.bytes)}, {ideal.usable_ms:.0f}",
            "yes" if after.usable_ms < USABLE_MS else "**no**",
        ]
        lines.append("| " + " | ".join(str(cell) for cell in cells) + " |")
    return "\n".join([*lines, *cost_report(costs), ""])


def run(args) -> str:
    from bench.__main__ import database, migrate

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ml-phone-") as tmp, database(args.sqlite, Path(tmp)) as url:
        print("seeding a group's data …", flush=True)
        migrate(url)
        print("measuring …", flush=True)
        pages, results, user_agent = measure(url, args.phone_runs)
        waiting_read = "/api/lotteries/" + pages[3][0].removeprefix("/l/")  # what the waiting page polls
        costs = compression_cost(url, [path for path, _ in pages] + [waiting_read])
    return report(pages, results, costs, user_agent, args, url, time.monotonic() - started)
