"""/health answers from memory: no database, no outbound call, so it is fast whatever is down."""

from flask import Blueprint, current_app

from movie_lottery.web.guards.auth import public

bp = Blueprint("health", __name__)

# The answer never changes: no JSON encoding per request for the endpoint load balancers call most.
HEALTH_BODY = b'{"status":"ok"}\n'


@bp.get("/health")
@public
def health():
    return current_app.response_class(HEALTH_BODY, mimetype="application/json")
