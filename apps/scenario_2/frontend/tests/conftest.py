from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve()
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parents[3])]

from app import create_app  # noqa: E402
from testkit.servers import gunicorn_command, start_backend  # noqa: E402


@pytest.fixture(scope="session")
def backend_url(tmp_path_factory):
    backend_dir = HERE.parents[2] / "backend"
    server, url = start_backend(
        backend_dir, gunicorn_command(workers=2), tmp_path_factory.mktemp("backend")
    )
    with server:
        yield url


@pytest.fixture
def make_app():
    return create_app


@pytest.fixture
def client(backend_url, tmp_path):
    environ = {
        "BACKEND_URL": backend_url, "SECRET_KEY": "test-key", "ENV": "test-env",
        "LOG_DIR": str(tmp_path),
    }
    return create_app(environ).test_client()
