"""Posts in SQLite, safe for several server processes writing at once.

WAL mode lets readers go on while one process writes. Every connection waits up to
BUSY_TIMEOUT seconds for a lock instead of failing at once, and a transaction that
will write takes the write lock at its start (BEGIN IMMEDIATE): SQLite cannot wait
for a lock that a transaction tries to upgrade midway, and answers "database is
locked" at once instead.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime, timezone
from pathlib import Path

BUSY_TIMEOUT = 10
SCHEMA = """
CREATE TABLE IF NOT EXISTS posts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    created_at TEXT NOT NULL
)
"""
COLUMNS = "id, title, content, created_at"


def check_writable(database: Path) -> None:
    """Stop with a message naming the file when this process cannot write the database.

    A volume first written by a container running as root holds files this uid cannot
    write; the deploy hands them over (chown), the app only says what is wrong.
    """
    me = f"{os.getuid()}:{os.getgid()}"
    needs = [(database.parent, os.W_OK | os.X_OK)] + [
        (Path(f"{database}{suffix}"), os.R_OK | os.W_OK) for suffix in ("", "-wal", "-shm")
    ]
    for path, mode in needs:
        if path.exists() and not os.access(path, mode):
            info = path.stat()
            raise PermissionError(
                f"{path} belongs to {info.st_uid}:{info.st_gid} and this app runs as {me}: "
                f"give the data directory and the files in it to {me}"
            )


class PostStore:
    def __init__(self, path: str) -> None:
        self.path = Path(path)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        # isolation_level=None: transactions begin only where this code says BEGIN.
        with closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)) as db:
            db.row_factory = sqlite3.Row
            yield db

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        with self._connection() as db:
            db.execute(begin)
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def create_schema(self) -> None:
        check_writable(self.path)
        with self._connection() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(SCHEMA)

    def add(self, title: str, content: str) -> dict:
        created_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self._transaction("BEGIN IMMEDIATE") as db:
            cursor = db.execute(
                "INSERT INTO posts (title, content, created_at) VALUES (?, ?, ?)",
                (title, content, created_at),
            )
        return {"id": cursor.lastrowid, "title": title, "content": content,
                "created_at": created_at}

    def get(self, post_id: int) -> dict | None:
        with self._connection() as db:
            row = db.execute(f"SELECT {COLUMNS} FROM posts WHERE id = ?", (post_id,)).fetchone()
        return dict(row) if row else None

    def page(self, limit: int, offset: int) -> tuple[list[dict], int]:
        """Newest first; the rows and the total come from one snapshot."""
        with self._transaction("BEGIN") as db:
            rows = db.execute(
                f"SELECT {COLUMNS} FROM posts ORDER BY id DESC LIMIT ? OFFSET ?", (limit, offset)
            ).fetchall()
            total = db.execute("SELECT count(*) FROM posts").fetchone()[0]
        return [dict(row) for row in rows], total

    def ping(self) -> None:
        with self._connection() as db:
            db.execute("SELECT 1 FROM posts LIMIT 1").fetchall()
