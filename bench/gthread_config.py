"""gunicorn's threaded worker with the site's other settings: the bench's side-by-side figure for gevent.

What the deploy ran before slow clients were measured (README, "Slow clients"); not for deploying.
"""

from gunicorn_common import *  # noqa: F403
from gunicorn_common import post_fork, post_worker_init, when_ready  # noqa: F401  (hooks: keep them explicit)

worker_class = "gthread"
threads = 4
