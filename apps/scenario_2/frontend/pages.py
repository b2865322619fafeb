"""The posts page: lists the backend's posts and adds one through a form.

scenario_1 and scenario_2 carry this file and templates/ unchanged, since each image
builds from its own directory; tests/integration/test_apps_layout.py keeps them equal.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

FORM_MAX = 64 * 1024
PAGE_SIZE = 50
BACKEND_TIMEOUT = 5
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

pages = Blueprint("pages", __name__)
log = logging.getLogger(__name__)

# The backend is always reached directly: a proxy from the environment has no business here.
_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class BackendUnavailable(Exception):
    """The backend did not answer at all."""


def backend_url(environ: Mapping[str, str]) -> str:
    """BACKEND_URL without its trailing slash; only http and https are accepted."""
    url = environ.get("BACKEND_URL", "http://localhost:5100").rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"BACKEND_URL must start with http:// or https://, got {url!r}")
    return url


def secret_key(environ: Mapping[str, str], required: bool) -> str:
    """The key that signs the session: SECRET_KEY_FILE first, then SECRET_KEY.

    Without either, a required key stops the start; otherwise a random key serves
    this process only, so sessions end when it restarts.
    """
    path = environ.get("SECRET_KEY_FILE")
    if path:
        key = Path(path).read_text(encoding="utf-8").strip()
        if not key:
            raise ValueError(f"SECRET_KEY_FILE {path} is empty")
        return key
    if environ.get("SECRET_KEY"):
        return environ["SECRET_KEY"]
    if required:
        raise ValueError("set SECRET_KEY_FILE (preferred: /run/secrets/secret_key) or SECRET_KEY")
    log.warning("no SECRET_KEY_FILE or SECRET_KEY: using a random key for this process")
    return secrets.token_urlsafe(48)


def call_backend(method: str, path: str, payload: dict | None = None) -> tuple[int, dict]:
    """The backend's status and JSON answer; BackendUnavailable when it does not answer."""
    base = current_app.config["BACKEND_URL"]
    data = None if payload is None else json.dumps(payload).encode("utf-8")
    outgoing = urllib.request.Request(
        base + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with _direct.open(outgoing, timeout=BACKEND_TIMEOUT) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, _error_answer(error)
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise BackendUnavailable(f"The backend at {base} did not answer: {reason}") from None


def _error_answer(error: urllib.error.HTTPError) -> dict:
    try:
        answer = json.load(error)
    except ValueError:
        answer = None
    if isinstance(answer, dict) and isinstance(answer.get("error"), str):
        return answer
    return {"error": f"The backend answered {error.code}"}


def csrf_token() -> str:
    if "csrf_token" not in session:
        session["csrf_token"] = secrets.token_urlsafe(32)
    return session["csrf_token"]


def _csrf_matches(sent: str) -> bool:
    expected = session.get("csrf_token", "")
    return bool(expected) and hmac.compare_digest(expected.encode(), sent.encode())


def _page(form: dict | None = None, errors: list[str] | None = None, status: int = 200):
    errors = list(errors or [])
    posts, total = [], 0
    try:
        answer_status, answer = call_backend("GET", f"/posts?limit={PAGE_SIZE}")
    except BackendUnavailable as unavailable:
        errors.append(str(unavailable))
        status = 502
    else:
        if answer_status == 200:
            posts, total = answer["posts"], answer["total"]
        else:
            errors.append(answer["error"])
            status = 502
    context = {
        "posts": posts, "total": total, "errors": errors, "form": form or {},
        "env_name": current_app.config["ENV_NAME"],
        "backend_url": current_app.config["BACKEND_URL"], "csrf_token": csrf_token(),
    }
    return render_template("index.html", **context), status


@pages.get("/")
def index():
    return _page()


@pages.post("/posts")
def add_post():
    form = {field: request.form.get(field, "") for field in ("title", "content")}
    if not _csrf_matches(request.form.get("csrf_token", "")):
        return _page(form, ["The form is stale or came from another site: reload and retry."], 400)
    try:
        status, answer = call_backend("POST", "/posts", form)
    except BackendUnavailable as unavailable:
        return _page(form, [str(unavailable)], 502)
    if status == 201:
        flash(f"Post #{answer['id']} added.")
        return redirect(url_for("pages.index"), 303)
    return _page(form, [answer["error"]], 400 if status < 500 else 502)


@pages.get("/api/healthcheck")
def healthcheck() -> dict:
    return {"status": "ok"}


@pages.after_app_request
def add_security_headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response
