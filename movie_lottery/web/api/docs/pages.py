"""GET /api/openapi.json and GET /api/docs: the API's description, public (an API description is no secret).

The page is rendered on the server from the document itself: no CDN, no script, within the strict CSP.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, render_template

from movie_lottery.web.api.docs.openapi import api_for
from movie_lottery.web.api.docs.reference import describe
from movie_lottery.web.guards.auth import public

bp = Blueprint("api_docs", __name__, url_prefix="/api")


def spec_dict() -> dict:
    return api_for(current_app).document().to_dict()


@bp.get("/openapi.json")
@public
def openapi_json() -> Response:
    cached = current_app.extensions.get("openapi_json")
    if cached is None:  # built once per process: the document only changes with the code
        cached = json.dumps(spec_dict(), ensure_ascii=False, indent=2)
        current_app.extensions["openapi_json"] = cached
    return current_app.response_class(cached, mimetype="application/json")


@bp.get("/docs")
@public
def docs_page() -> str:
    return render_template("api_docs.html", api=describe(spec_dict()))
