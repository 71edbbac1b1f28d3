"""Text answers go out compressed when the browser accepts it (Flask-Compress): a phone on a slow network
fetches the library's ~190 KB of HTML as a tenth of that (README, «On a phone»).

How it composes with the rest of the site:

- ETags. Flask-Compress gives a compressed answer its own strong ETag (``"abc:br"``), as HTTP asks of
  another representation. A polling page then sends ``If-None-Match: "abc:br"``, which the view's own
  ``make_conditional`` (web/api/shared.py ``conditional_json``, the static files) would not recognise: it
  would build and compress the whole body only for Flask-Compress to throw it away as a 304. So the suffix
  is taken off the request's validator before any view reads it, and put back on the view's 304: an
  unchanged poll costs what it cost before compression, a bodiless 304.
- The page cache keeps uncompressed text (each visitor's CSRF token is filled in on the way out), so a
  kept page is compressed per request: ~1 ms of CPU for the library at the levels below (README).
- Streams. ``text/event-stream`` is not in the compressed types: an event must reach the browser when it
  is written, not when a compressor's buffer fills. Static files are streamed too and are compressed chunk
  by chunk (zstd, br or deflate: Flask-Compress streams no gzip).
- Byte ranges. A ``Range`` request (a 206 of a static file) goes out uncompressed: Flask-Compress would
  compress the part, and the client's byte offsets would then point into the wrong bytes.
- Small answers (under 500 bytes: /health, most 304s and errors) go out as they are.
"""

from __future__ import annotations

from flask import Flask, Response, g, request
from flask_compress import Compress

# Text the site sends; text/event-stream is deliberately absent (see above).
COMPRESSED_TYPES = [
    "text/html",
    "text/css",
    "text/plain",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/manifest+json",
    "image/svg+xml",
]
ALGORITHMS = ["zstd", "br", "gzip"]
# Suffixes Flask-Compress adds to a strong ETag, one per algorithm it may choose (streamed answers too).
SUFFIXES = tuple(f':{name}"' for name in ("zstd", "br", "gzip", "deflate"))


def _strip_encoding_from_validator() -> None:
    """Before any view reads ``request.if_none_match``: ``"abc:br"`` becomes ``"abc"`` again. A request
    for a byte range is answered as if it accepted no compression."""
    if "HTTP_RANGE" in request.environ:
        request.environ.pop("HTTP_ACCEPT_ENCODING", None)
    header = request.environ.get("HTTP_IF_NONE_MATCH")
    if not header or ":" not in header:
        return
    tags = []
    for tag in header.split(","):
        tag = tag.strip()
        for suffix in SUFFIXES:
            if tag.endswith(suffix):
                g.etag_encoding = suffix[1:-1]
                tag = tag[: -len(suffix)] + '"'
                break
        tags.append(tag)
    request.environ["HTTP_IF_NONE_MATCH"] = ", ".join(tags)


def _mark_not_modified(response: Response) -> Response:
    """A view's 304 carries the ETag of the representation the client holds (``"abc:br"``)."""
    encoding = g.get("etag_encoding")
    if response.status_code == 304 and encoding:
        etag, weak = response.get_etag()
        if etag and not weak and not etag.endswith(f":{encoding}"):
            response.set_etag(f"{etag}:{encoding}")
    return response


def init_app(app: Flask) -> None:
    """First in register_web: Flask runs after-request hooks last-registered first, so Flask-Compress's
    runs after every other one and compresses the final body."""
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ALGORITHMS)
    app.config.setdefault("COMPRESS_BR_LEVEL", 4)
    app.config.setdefault("COMPRESS_ZSTD_LEVEL", 3)
    app.config.setdefault("COMPRESS_LEVEL", 6)
    app.before_request_funcs.setdefault(None, []).insert(0, _strip_encoding_from_validator)
    app.extensions["compress"] = Compress(app)  # per app: its hook reads this app's settings
    app.after_request(_mark_not_modified)  # runs before Flask-Compress's hook (Flask runs them in reverse)
