"""Posts in one SQLite file, opened per request: the simple way, enough for one process."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import datetime, timezone

SCHEMA = """
CREATE TABLE IF NOT EXISTS posts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    created_at TEXT NOT NULL
)
"""
COLUMNS = "id, title, content, created_at"


class PostStore:
    def __init__(self, path: str) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=5)
        connection.row_factory = sqlite3.Row
        return connection

    def create_schema(self) -> None:
        with closing(self._connect()) as db, db:
            db.execute(SCHEMA)

    def add(self, title: str, content: str) -> dict:
        created_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with closing(self._connect()) as db, db:
            cursor = db.execute(
                "INSERT INTO posts (title, content, created_at) VALUES (?, ?, ?)",
                (title, content, created_at),
            )
        return {"id": cursor.lastrowid, "title": title, "content": content,
                "created_at": created_at}

    def get(self, post_id: int) -> dict | None:
        with closing(self._connect()) as db:
            row = db.execute(f"SELECT {COLUMNS} FROM posts WHERE id = ?", (post_id,)).fetchone()
        return dict(row) if row else None

    def page(self, limit: int, offset: int) -> tuple[list[dict], int]:
        """Newest first."""
        with closing(self._connect()) as db:
            rows = db.execute(
                f"SELECT {COLUMNS} FROM posts ORDER BY id DESC LIMIT ? OFFSET ?", (limit, offset)
            ).fetchall()
            total = db.execute("SELECT count(*) FROM posts").fetchone()[0]
        return [dict(row) for row in rows], total

    def ping(self) -> None:
        with closing(self._connect()) as db:
            db.execute("SELECT 1 FROM posts LIMIT 1").fetchall()
