"""/health answers from memory: no database, no outbound call, so it is fast whatever is down."""

from flask import Blueprint, jsonify

from .auth import public

bp = Blueprint("health", __name__)


@bp.get("/health")
@public
def health():
    return jsonify(status="ok")
