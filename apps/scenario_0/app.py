"""scenario_0: the smallest Flask app worth putting in a container."""

from __future__ import annotations

import os
import socket

from flask import Flask


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def index() -> dict:
        # Inside a container the hostname is the container's short id, which shows
        # that "localhost" here is the container, not the machine running Docker.
        return {"message": "Hello from simple-app", "hostname": socket.gethostname()}

    @app.get("/api/healthcheck")
    def healthcheck() -> dict:
        return {"status": "ok"}

    return app


if __name__ == "__main__":
    # 0.0.0.0: a server bound to 127.0.0.1 inside a container is unreachable from outside it.
    create_app().run(host="0.0.0.0", port=int(os.environ.get("PORT", "8000")))
