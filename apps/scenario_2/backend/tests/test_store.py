from __future__ import annotations

import os
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import pytest

from store import PostStore

BACKEND = Path(__file__).resolve().parents[1]
NOBODY = 65534
# The venv's interpreter may sit under a home only root can enter; the check needs only stdlib.
SYSTEM_PYTHON = Path("/usr/bin/python3")


def test_the_database_runs_in_wal_mode(tmp_path):
    PostStore(str(tmp_path / "posts.db")).create_schema()

    with sqlite3.connect(tmp_path / "posts.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_creating_the_schema_again_keeps_the_posts(tmp_path):
    store = PostStore(str(tmp_path / "posts.db"))
    store.create_schema()
    post = store.add("kept", "across restarts")

    store.create_schema()

    assert store.get(post["id"]) == post


def test_a_failed_write_is_rolled_back(tmp_path):
    store = PostStore(str(tmp_path / "posts.db"))
    store.create_schema()

    with pytest.raises(sqlite3.IntegrityError):
        store.add(None, "a title is NOT NULL")  # type: ignore[arg-type]

    assert store.page(10, 0) == ([], 0)


@pytest.fixture
def root_owned_database():
    # Outside pytest's tmp_path, whose parents only root may enter.
    with tempfile.TemporaryDirectory() as data:
        os.chmod(data, 0o755)
        database = Path(data) / "posts.db"
        PostStore(str(database)).create_schema()
        os.chmod(database, 0o644)
        yield database


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to run a check as another uid")
@pytest.mark.skipif(not SYSTEM_PYTHON.exists(), reason="needs /usr/bin/python3 for the other uid")
def test_a_database_owned_by_root_is_named_with_its_owner(root_owned_database):
    check = (
        "import sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path;"
        "from store import check_writable; check_writable(Path(sys.argv[2]))"
    )

    result = subprocess.run(
        [str(SYSTEM_PYTHON), "-c", check, str(BACKEND), str(root_owned_database)],
        user=NOBODY, group=NOBODY, capture_output=True, text=True, check=False,
    )

    assert result.returncode != 0
    assert f"belongs to 0:0 and this app runs as {NOBODY}:{NOBODY}" in result.stderr
