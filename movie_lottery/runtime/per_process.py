"""One object per app and process for things that own a thread: a forked worker builds its own."""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable
from typing import Any


class PerProcess:
    """Builds the object stored under `key` in an app's extensions, again in every process (threads do
    not survive fork), and remembers what it built so tests can stop them all.

    The objects carry `pid` (the process that built them) and `stop(timeout)`.
    """

    def __init__(self, key: str, build: Callable[..., Any]) -> None:
        self.key = key
        self._build = build
        self._lock = threading.Lock()
        self._built: weakref.WeakSet = weakref.WeakSet()

    def get(self, extensions: dict, *args: Any) -> Any:
        found = extensions.get(self.key)
        if found is not None and found.pid == os.getpid():
            return found
        with self._lock:
            found = extensions.get(self.key)
            if found is None or found.pid != os.getpid():
                found = self._build(*args)
                extensions[self.key] = found
                self._built.add(found)
        return found

    def stop_all(self, timeout: float) -> None:
        for item in list(self._built):
            item.stop(timeout)


def real_app(app: Any) -> Any:
    """The app itself, never Flask's ``current_app`` proxy: a thread started from a request outlives the
    request's context, and the proxy means nothing there."""
    unwrap = getattr(app, "_get_current_object", None)
    return unwrap() if unwrap is not None else app
