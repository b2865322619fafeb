"""The posts API: its routes, the input it accepts and its JSON errors.

scenario_1 and scenario_2 carry this file unchanged, since each image builds from
its own directory; tests/integration/test_apps_layout.py keeps the copies equal.
The app that registers the blueprint puts a store in app.extensions["posts_store"].
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Mapping

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from werkzeug.exceptions import HTTPException, InternalServerError

TITLE_MAX = 200
CONTENT_MAX = 10_000
BODY_MAX = 64 * 1024
PAGE_SIZE = 100
PAGE_SIZE_MAX = 1000
ID_MAX = 2**63 - 1
FIELDS = {"title": TITLE_MAX, "content": CONTENT_MAX}

_DIGITS = re.compile(r"[0-9]{1,19}")
_JSON_TYPES = {
    dict: "an object", list: "an array", str: "a string", int: "a number",
    float: "a number", bool: "true or false", type(None): "null",
}

api = Blueprint("posts", __name__)


class InvalidInput(Exception):
    """Input the API refuses; the message names the problem, status is the HTTP answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def parse_post(mimetype: str, body: bytes) -> dict[str, str]:
    """The title and content of a new post, or InvalidInput naming what is wrong."""
    if mimetype != "application/json":
        raise InvalidInput(f"Content-Type must be application/json, got {mimetype or 'none'}", 415)

    document = _json_object(body)
    unknown = sorted(set(document) - set(FIELDS))
    if unknown:
        raise InvalidInput(f"unknown fields {unknown[:5]}: a post has only title and content")

    return {field: _text(document, field, limit) for field, limit in FIELDS.items()}


def _json_object(body: bytes) -> dict:
    try:
        document = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidInput("the body is not UTF-8 text") from None
    except ValueError as error:
        raise InvalidInput(f"the body is not valid JSON: {error}") from None
    except RecursionError:
        raise InvalidInput("the body nests JSON too deeply") from None
    if not isinstance(document, dict):
        raise InvalidInput(f"the body must be a JSON object, got {_JSON_TYPES[type(document)]}")
    return document


def _text(document: dict, field: str, limit: int) -> str:
    if field not in document:
        raise InvalidInput(f"{field} is required")
    value = document[field]
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be a string, got {_JSON_TYPES[type(value)]}")
    if not value.strip():
        raise InvalidInput(f"{field} must not be empty")
    if len(value) > limit:
        raise InvalidInput(f"{field} is {len(value)} characters long; the limit is {limit}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{field} holds a lone surrogate escape, which is not text") from None
    return value


def whole_number(raw: str, name: str, low: int, high: int) -> int:
    """raw as an int from low to high, or InvalidInput naming the accepted range."""
    if not _DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
        raise InvalidInput(f"{name} must be a whole number from {low} to {high}, got {raw[:24]!r}")
    return int(raw)


def parse_page(args: Mapping[str, str]) -> tuple[int, int]:
    """limit and offset from the query string of GET /posts."""
    unknown = sorted(set(args) - {"limit", "offset"})
    if unknown:
        raise InvalidInput(f"unknown query parameters {unknown[:5]}: /posts takes limit and offset")
    limit = whole_number(args.get("limit", str(PAGE_SIZE)), "limit", 1, PAGE_SIZE_MAX)
    offset = whole_number(args.get("offset", "0"), "offset", 0, ID_MAX)
    return limit, offset


def _store():
    return current_app.extensions["posts_store"]


@api.post("/posts")
def create_post() -> tuple[Response, int, dict]:
    post = parse_post(request.mimetype, request.get_data(cache=False))
    stored = _store().add(post["title"], post["content"])
    location = url_for("posts.read_post", post_id=stored["id"])
    return jsonify(stored), 201, {"Location": location}


@api.get("/posts")
def list_posts() -> dict:
    limit, offset = parse_page(request.args)
    posts, total = _store().page(limit, offset)
    return {"posts": posts, "total": total, "limit": limit, "offset": offset}


@api.get("/posts/<post_id>")
def read_post(post_id: str) -> dict:
    number = whole_number(post_id, "the post id", 1, ID_MAX)
    post = _store().get(number)
    if post is None:
        raise InvalidInput(f"no post has id {number}", 404)
    return post


@api.get("/api/healthcheck")
def healthcheck() -> tuple[dict, int]:
    try:
        _store().ping()
    except Exception as error:  # whatever the store fails with, the answer is "not healthy"
        return {"status": "unavailable", "error": str(error)}, 503
    return {"status": "ok"}, 200


@api.app_errorhandler(InvalidInput)
def invalid_input(error: InvalidInput) -> tuple[dict, int]:
    return {"error": str(error)}, error.status


@api.app_errorhandler(HTTPException)
def http_error(error: HTTPException) -> tuple[dict, int]:
    messages = {
        404: f"no such endpoint: {request.path}; the API has /posts, /posts/<id>"
        " and /api/healthcheck",
        405: f"{request.method} is not allowed on {request.path}; it takes "
        + ", ".join(sorted(getattr(error, "valid_methods", None) or [])),
        413: f"the request body is over the limit of {BODY_MAX} bytes",
    }
    return {"error": messages.get(error.code, error.description)}, error.code or 500


@api.app_errorhandler(sqlite3.OperationalError)
def store_unavailable(error: sqlite3.OperationalError) -> tuple[dict, int]:
    # A full disk or an unreadable database file: nothing the client sent is wrong.
    current_app.logger.error("the post store failed: %s", error)
    return {"error": f"the post store cannot be used right now ({error}); try again later"}, 503


@api.app_errorhandler(InternalServerError)
def internal_error(error: InternalServerError) -> tuple[dict, int]:
    current_app.logger.error("unhandled error", exc_info=error.original_exception)
    return {"error": "internal error; the server log has the details"}, 500
