"""Compiled templates kept on disk (Jinja's own bytecode cache), so a fresh process loads them, not compiles.

Compiling the 21 templates costs ~200 ms of CPU, ~2 s on Render's tenth of a core, and every wake starts
with none compiled: the first friend's page paid for its own (the first /library took 1.4 s there). Loaded
from this cache all of them cost ~7 ms. The build command fills it (``flask compile-templates``); locally it
fills as pages are first rendered. Jinja keys each entry by the template's path and checks its source's
hash, so an edited template is compiled afresh (tests/web/test_template_cache.py: the same pages with the
cache on and off).
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from jinja2 import FileSystemBytecodeCache
from jinja2.bccache import Bucket

CONFIG_KEY = "TEMPLATE_CACHE_DIR"  # a folder; None turns the cache off
log = logging.getLogger(__name__)


class SparingBytecodeCache(FileSystemBytecodeCache):
    """Jinja's file cache, where a failed write (disk full, folder gone) costs the saving, not the page."""

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError as exc:
            log.warning("compiled template not saved to the cache: %s", exc.__class__.__name__)


def default_folder(app: Flask) -> Path:
    return Path(app.instance_path) / "template-cache"


def init_app(app: Flask) -> None:
    app.config.setdefault(CONFIG_KEY, str(default_folder(app)))

    @app.cli.command("compile-templates")
    def compile_templates_command() -> None:
        """Compile every page template into the cache: render.yaml's build runs it, so a wake loads them."""
        import click

        click.echo(f"compiled {compile_all(app)} templates into {app.config[CONFIG_KEY] or '(no cache)'}")

    folder = app.config[CONFIG_KEY]
    if not folder:
        return
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a read-only disk: pages compile as they always could
        log.warning("no template cache (%s): templates compile on first use", exc.__class__.__name__)
        return
    app.jinja_env.bytecode_cache = SparingBytecodeCache(str(folder))


def compile_all(app: Flask) -> int:
    """Compile every page template (into the cache, when it is on); the number compiled."""
    names = [name for name in app.jinja_env.list_templates() if name.endswith(".html")]
    for name in names:
        app.jinja_env.get_template(name)
    return len(names)
