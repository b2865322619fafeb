"""scenario_2 frontend: the posts page on port 8080, served by gunicorn.

gunicorn runs `app:create_app()`. The session key comes from a mounted secret file
(SECRET_KEY_FILE) or the environment, never from the image; without one it will not start.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from flask import Flask

import requestlog
from pages import FORM_MAX, backend_url, pages, secret_key


def create_app(environ: Mapping[str, str] | None = None) -> Flask:
    environ = os.environ if environ is None else environ
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret_key(environ, required=True),
        BACKEND_URL=backend_url(environ),
        ENV_NAME=environ.get("ENV", "not set"),
        MAX_CONTENT_LENGTH=FORM_MAX,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    requestlog.install(app, environ.get("LOG_DIR"))
    app.register_blueprint(pages)
    return app
