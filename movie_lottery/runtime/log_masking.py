"""The one rule that keeps secrets out of log lines: play and manage tokens in paths, secret query values.

Every log line the site writes passes through ``MaskingFilter``: gunicorn's access and error logs (see
``gunicorn_config.MaskedLogger``) and the app's own handler. Masking the finished line, rather than each
piece that goes into it, covers every way a URL reaches a log: the request line, the path, the query string,
a Referer header, ``next=`` holding a play link, an exception message quoting a URL.
"""

from __future__ import annotations

import logging
import re

MASK = "***"

# /l/<id>/play/<token> and a poll's /p/<id>/manage/<token>, also percent-encoded inside another URL's query
# (next=%2Fl%2F…%2Fplay%2F<token>).
_PLAY_TOKEN = re.compile(r"(?i)((?:/|%2F)(?:play|manage)(?:/|%2F))[^/?#&\s\"']+")
# The Bot API puts the bot's token in the path: /bot123456:AA…/sendMessage (urllib3 logs that line at DEBUG).
_BOT_TOKEN = re.compile(r"(?i)((?:/|%2F)bot)\d+(?::|%3A)[A-Za-z0-9_-]+")
# ?token=…, &api_token=…, password=…: whatever a future link or a careless script puts in a query string.
_SECRET_QUERY_VALUE = re.compile(
    r"(?i)([?&;](?:[\w.-]*(?:token|password|passwd|secret|api[_-]?key|sid|seed))=)[^&#\s\"']*"
)


def mask_secrets(text: str) -> str:
    """``text`` with every play, manage or bot token and secret-named query value replaced by ``***``."""
    text = _PLAY_TOKEN.sub(rf"\g<1>{MASK}", text)
    text = _BOT_TOKEN.sub(rf"\g<1>{MASK}", text)
    return _SECRET_QUERY_VALUE.sub(rf"\g<1>{MASK}", text)


class MaskingFilter(logging.Filter):
    """Rewrites each record to its masked text, traceback included, before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_secrets(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_secrets(record.exc_text)
        return True
