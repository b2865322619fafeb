from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve()
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parents[3])]

from app import create_app  # noqa: E402


@pytest.fixture
def make_app(tmp_path):
    def make(database_path: str):
        return create_app(database_path, log_dir=str(tmp_path))

    return make


@pytest.fixture
def client(make_app, tmp_path):
    return make_app(str(tmp_path / "posts.db")).test_client()
