from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve()
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parents[3])]

from app import create_app  # noqa: E402


@pytest.fixture
def make_app():
    return create_app


@pytest.fixture
def client(tmp_path):
    return create_app(str(tmp_path / "posts.db")).test_client()
