"""The floors: the smallest Flask app, and the same with the site's libraries imported (--cold-start), served
with the same gunicorn, measured in the same run."""

from flask import Flask, jsonify


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/health")
    def health():
        return jsonify(status="ok")

    return app


def create_library_stack_app() -> Flask:
    """The hello-world after importing what the site imports before a line of its own runs: what the site's
    libraries cost a wake, apart from the site."""
    import apispec.ext.marshmallow  # noqa: F401
    import flask_smorest  # noqa: F401
    import flask_sqlalchemy  # noqa: F401
    import flask_wtf.csrf  # noqa: F401
    import marshmallow  # noqa: F401
    import psycopg2  # noqa: F401
    import sqlalchemy.dialects.postgresql.psycopg2
    import sqlalchemy.orm  # noqa: F401
    import webargs.flaskparser  # noqa: F401

    return create_app()
