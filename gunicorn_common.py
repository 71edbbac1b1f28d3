"""The gunicorn settings and hooks every configuration of this site shares, whatever its worker.

gunicorn_config.py (the deploy's: gevent) and bench/gthread_config.py (the bench's side-by-side figure for
gunicorn's threaded worker) both star-import this file and add their worker class.
"""

import gc
import logging

# Tens of thousands of long-lived objects are about to be imported; collecting garbage meanwhile only slows
# the start (~10 %). The master freezes what it built and collects again once the app is ready (when_ready).
gc.disable()

from gunicorn.glogging import Logger  # noqa: E402

from movie_lottery.core.config import gunicorn_settings  # noqa: E402  (after gc.disable, on purpose)
from movie_lottery.runtime.log_masking import MaskingFilter  # noqa: E402

_env = gunicorn_settings()

bind = _env["bind"]  # 0.0.0.0:$PORT, as Render requires
workers = _env["workers"]  # WEB_CONCURRENCY, default 2
# With gevent (and gthread) the timeout is a heartbeat, not a request limit; 300 s leaves room for slow
# cold starts.
timeout = 300
graceful_timeout = 30
# Also the bound on reading one request's line and headers under gevent: a client that sends half of them
# and stops is dropped after this long (gunicorn wraps the read in a gevent.Timeout of `keepalive`).
keepalive = 5
# A browser's Cookie header may reach 16 KB: browsers from before kept one participant cookie per night
# (web/participants.py), up to the 180 a browser keeps per site (~10 KB), over gunicorn's default 8 KB: they
# got 431 on every page and could never be told to drop them. Fewer fields keep gunicorn's buffer for one
# request's headers (fields x size) where the defaults had it (100 x 8 KB); browsers send about 20.
limit_request_field_size = 16384
limit_request_fields = 50
# Recycle workers now and then, staggered so they never all restart at once.
max_requests = 10000
max_requests_jitter = 1000
# Build the app once in the master; workers fork ready, and so do replacements after max_requests.
preload_app = True
accesslog = "-"
errorlog = "-"
loglevel = "info"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'


class MaskedLogger(Logger):
    """gunicorn's own logger, with play tokens and secret query values masked in every line it writes.

    A filter on the finished line (gunicorn's documented ``logger_class`` hook) rather than a custom atom:
    it covers the request line, any atom a future format adds (``%(U)s``, ``%(q)s``, ``%(f)s``) and the
    error log's "Error handling request /l/…/play/…" alike.
    """

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, MaskingFilter) for f in log.filters):  # setup runs again on reload
                log.addFilter(MaskingFilter())


logger_class = MaskedLogger


def _app(server):
    return server.app.wsgi()  # loaded already: preload_app


def when_ready(server) -> None:
    from movie_lottery.runtime.forking import prepare_for_workers
    from movie_lottery.runtime.gunicorn_probe import settings_of

    cfg = server.cfg
    prepare_for_workers(_app(server), settings_of(cfg))
    logging.getLogger("gunicorn.error").info(
        "gunicorn settings in force: timeout=%s workers=%s threads=%s worker_class=%s bind=%s",
        cfg.timeout,
        cfg.workers,
        cfg.threads,
        cfg.worker_class_str,
        ",".join(cfg.bind),
    )


def post_fork(server, worker) -> None:
    from movie_lottery.runtime.forking import forget_inherited_connections

    forget_inherited_connections(_app(server))


def post_worker_init(worker) -> None:
    # The boot ends here, with the first worker ready to serve: it logs the boot line, once per master.
    from movie_lottery.runtime.boot_report import record_worker_ready

    record_worker_ready(worker.wsgi, log_it=worker.age == 1)
