"""Start a scenario's backend as a real server on a loopback port, for the frontend's tests."""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

from testkit.live_server import LiveServer, free_port

_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def gunicorn_command(workers: int) -> list[str]:
    """gunicorn with the app's own config, bound to loopback only ({port} is filled in)."""
    return [
        sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py",
        "--bind", "127.0.0.1:{port}", "--workers", str(workers), "app:create_app()",
    ]


def start_backend(backend_dir: Path, command: list[str], workdir: Path) -> tuple[LiveServer, str]:
    """The backend in backend_dir serving a new database in workdir; returns it and its URL.

    "{port}" in command stands for the free loopback port it is given, also set as PORT.
    """
    port = free_port()
    env = {"PORT": str(port), "DATABASE_PATH": str(workdir / "posts.db"), "LOG_DIR": str(workdir)}
    command = [part.replace("{port}", str(port)) for part in command]
    server = LiveServer(command, backend_dir, env, workdir / "backend.out")
    url = f"http://127.0.0.1:{port}"
    return server.start(f"{url}/api/healthcheck"), url


def get_json(url: str) -> dict:
    with _direct.open(url, timeout=5) as response:
        return json.load(response)


def post_json(url: str, document: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(document).encode(), headers={"Content-Type": "application/json"}
    )
    with _direct.open(request, timeout=10) as response:
        return response.status, json.load(response)
