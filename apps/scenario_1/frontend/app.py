"""scenario_1 frontend: the posts page on port 8080, talking to the backend at BACKEND_URL."""

from __future__ import annotations

import os
from collections.abc import Mapping

from flask import Flask

from pages import FORM_MAX, backend_url, pages, secret_key


def create_app(environ: Mapping[str, str] | None = None) -> Flask:
    environ = os.environ if environ is None else environ
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret_key(environ, required=False),
        BACKEND_URL=backend_url(environ),
        ENV_NAME=environ.get("ENV", "not set"),
        MAX_CONTENT_LENGTH=FORM_MAX,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.register_blueprint(pages)
    return app


if __name__ == "__main__":
    # 0.0.0.0: a server bound to 127.0.0.1 inside a container is unreachable from outside it.
    create_app().run(host="0.0.0.0", port=int(os.environ.get("PORT", "8080")))
