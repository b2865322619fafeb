"""Many writers through the real server: gunicorn with 4 workers on one SQLite file."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from requestlog import LOG_FILE
from testkit.servers import get_json, gunicorn_command, post_json, start_backend

BACKEND = Path(__file__).resolve().parents[1]
THREADS = 20
POSTS_PER_THREAD = 50


@pytest.fixture
def gunicorn(tmp_path):
    server, url = start_backend(BACKEND, gunicorn_command(workers=4), tmp_path)
    with server:
        yield server, url


def write_posts(url: str, thread: int) -> list[int]:
    ids = []
    for n in range(POSTS_PER_THREAD):
        status, post = post_json(f"{url}/posts", {"title": f"t{thread}-{n}", "content": "c"})
        assert status == 201
        ids.append(post["id"])
    return ids


def read_all(url: str) -> dict[int, str]:
    posts = {}
    for offset in range(0, THREADS * POSTS_PER_THREAD, 1000):
        page = get_json(f"{url}/posts?limit=1000&offset={offset}")
        posts.update({post["id"]: post["title"] for post in page["posts"]})
    return posts


def test_20_threads_writing_50_posts_each_lose_nothing_and_never_see_a_lock(gunicorn, tmp_path):
    server, url = gunicorn

    with ThreadPoolExecutor(THREADS) as pool:
        ids = [i for batch in pool.map(write_posts, [url] * THREADS, range(THREADS)) for i in batch]

    stored = read_all(url)
    expected = {f"t{t}-{n}" for t in range(THREADS) for n in range(POSTS_PER_THREAD)}
    assert len(ids) == len(set(ids)) == THREADS * POSTS_PER_THREAD
    assert set(stored) == set(ids) and set(stored.values()) == expected
    assert all(get_json(f"{url}/posts/{i}")["id"] == i for i in ids[::50])
    log_file = (tmp_path / LOG_FILE).read_text()
    writers = {line.split()[2] for line in log_file.splitlines() if "status=201" in line}
    assert log_file.count("method=POST path=/posts status=201") == THREADS * POSTS_PER_THREAD
    assert len(writers) == 4
    for log in (log_file, server.output()):
        assert "database is locked" not in log and "Traceback" not in log
