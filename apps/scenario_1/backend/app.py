"""scenario_1 backend: the posts API on port 5100, stored in SQLite."""

from __future__ import annotations

import os

from flask import Flask

from posts_api import BODY_MAX, api
from store import PostStore


def create_app(database_path: str | None = None) -> Flask:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = BODY_MAX

    store = PostStore(database_path or os.environ.get("DATABASE_PATH", "/data/posts.db"))
    store.create_schema()
    app.extensions["posts_store"] = store

    app.register_blueprint(api)
    return app


if __name__ == "__main__":
    # 0.0.0.0: a server bound to 127.0.0.1 inside a container is unreachable from outside it.
    create_app().run(host="0.0.0.0", port=int(os.environ.get("PORT", "5100")))
