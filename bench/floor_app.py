"""The floor: the smallest Flask app, served with the same gunicorn settings, measured in the same run."""

from flask import Flask, jsonify


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/health")
    def health():
        return jsonify(status="ok")

    return app
