"""scenario_2 backend: the posts API on port 5100, served by gunicorn.

gunicorn runs `app:create_app()`; the configuration comes from the environment.
"""

from __future__ import annotations

import os

from flask import Flask

import requestlog
from posts_api import BODY_MAX, api
from store import PostStore


def create_app(database_path: str | None = None, log_dir: str | None = None) -> Flask:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = BODY_MAX
    requestlog.install(app, log_dir or os.environ.get("LOG_DIR"))

    store = PostStore(database_path or os.environ.get("DATABASE_PATH", "/data/posts.db"))
    store.create_schema()
    app.extensions["posts_store"] = store

    app.register_blueprint(api)
    return app
