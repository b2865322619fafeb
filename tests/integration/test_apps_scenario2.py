"""scenario_2 on the host's engine: the hardened pair, its host logs, its secret file, and
its data, which outlives the containers and survives a volume first written by root."""

from __future__ import annotations

import json
import re
import time

import pytest
import requests
from ansible_collections.devopslab.docker_lab.plugins.module_utils.hardening import (
    APP_GID,
    APP_UID,
)
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

SECRET = "itest-apps-session-key-2b9d"
JSON = {"Content-Type": "application/json"}
GUNICORN = "exec gunicorn --config /app/gunicorn.conf.py 'app:create_app()'"
# A reader that keeps the database open, as a long-lived connection of an older version
# would: while it lives, SQLite neither checkpoints nor deletes the -wal and -shm files.
HOLD_OPEN = (
    "import sqlite3, time; db = sqlite3.connect('/data/posts.db');"
    " db.execute('SELECT count(*) FROM posts').fetchall(); time.sleep(600)"
)


def start_backend(engine, image: str, name: str, volume: str, *options: str) -> str:
    engine.run(name, image, "-v", f"{volume}:/data", "-p", "127.0.0.1::5100", *options)
    return name


@pytest.fixture(scope="module")
def pair(apps_engine, apps_images, apps_host_files):
    """Backend and frontend as the deploy runs them: volume, host log dirs, secret file."""
    log_dir, secret = apps_host_files
    place = {
        "network": apps_engine.network("itest-apps-s2-net"),
        "volume": apps_engine.volume("itest-apps-s2-data"),
        "backend_logs": log_dir("s2-backend-logs"),
        "frontend_logs": log_dir("s2-frontend-logs"),
        "secret": secret("s2-secret_key", SECRET),
    }
    start_pair(apps_engine, apps_images, place)
    yield place
    apps_engine.remove("itest-apps-s2-frontend", "itest-apps-s2-backend",
                       place["volume"], place["network"])


def start_pair(engine, images: dict, place: dict) -> None:
    backend = start_backend(
        engine, images["scenario2-backend"], "itest-apps-s2-backend", place["volume"],
        "--network", place["network"], "-v", f"{place['backend_logs']}:/var/log/app",
    )
    frontend = engine.run(
        "itest-apps-s2-frontend", images["scenario2-frontend"], "--network", place["network"],
        "-e", f"BACKEND_URL=http://{backend}:5100", "-e", "ENV=prod",
        "-v", f"{place['secret']}:/run/secrets/secret_key:ro",
        "-v", f"{place['frontend_logs']}:/var/log/app", "-p", "127.0.0.1::8080",
    )
    engine.wait_healthy(backend)
    engine.wait_healthy(frontend)
    place["backend_url"] = engine.url(backend, 5100)
    place["frontend_url"] = engine.url(frontend, 8080)


def browser() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # loopback only, never through a proxy from the environment
    return session


def add_through_the_form(url: str, title: str) -> requests.Response:
    session = browser()
    page = session.get(f"{url}/", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"title": title, "content": "typed in a browser", "csrf_token": token}
    return session.post(f"{url}/posts", data=form, allow_redirects=False, timeout=10)


def titles(backend_url: str) -> list[str]:
    listing = browser().get(f"{backend_url}/posts", timeout=10).json()
    return [post["title"] for post in listing["posts"]]


def test_posts_arrive_through_the_form_and_through_the_api(pair):
    through_form = add_through_the_form(pair["frontend_url"], "via the form")
    through_api = browser().post(f"{pair['backend_url']}/posts", timeout=10,
                                 json={"title": "via the API", "content": "curl-style"})

    assert through_form.status_code == 303 and through_api.status_code == 201
    assert titles(pair["backend_url"]) == ["via the API", "via the form"]


def test_each_request_is_one_line_in_the_host_log_directories(pair):
    backend_log = (pair["backend_logs"] / "requests.log").read_text()
    frontend_log = (pair["frontend_logs"] / "requests.log").read_text()

    assert "method=POST path=/posts status=201 duration_ms=" in backend_log
    assert "method=POST path=/posts status=303 duration_ms=" in frontend_log
    assert (pair["backend_logs"] / "requests.log").stat().st_uid == APP_UID


def test_the_session_is_signed_with_the_mounted_secret_file(pair):
    session = browser()
    session.get(f"{pair['frontend_url']}/", timeout=10)
    signer_app = Flask("itest-apps-signer")
    signer_app.secret_key = SECRET

    signed = SecureCookieSessionInterface().get_signing_serializer(signer_app)

    assert "csrf_token" in signed.loads(session.cookies["session"])


def test_only_data_tmp_and_the_log_directory_are_writable(apps_engine, pair):
    def can_write(path: str) -> bool:
        touch = apps_engine.docker_result("exec", "itest-apps-s2-backend", "touch", path)
        return touch.returncode == 0

    assert [can_write(p) for p in ("/data/w", "/tmp/w", "/var/log/app/w")] == [True] * 3
    assert [can_write(p) for p in ("/app/w", "/etc/w", "/opt/venv/w")] == [False] * 3


def test_new_containers_on_the_same_volume_find_every_post(apps_engine, apps_images, pair):
    before = titles(pair["backend_url"])

    apps_engine.remove("itest-apps-s2-frontend", "itest-apps-s2-backend")
    start_pair(apps_engine, apps_images, pair)

    assert titles(pair["backend_url"]) == before
    page = browser().get(f"{pair['frontend_url']}/", timeout=10).text
    assert "via the form" in page and "via the API" in page


def owners(engine, image: str, volume: str) -> dict[str, str]:
    listing = engine.docker("run", "--rm", "--user", "0:0", "--network", "none",
                            "-v", f"{volume}:/data",
                            "--entrypoint", "stat", image, "-c", "%n %u:%g", "/data",
                            "/data/posts.db", "/data/posts.db-wal", "/data/posts.db-shm")
    return dict(line.split() for line in listing.splitlines())


def hand_over(engine, image: str, volume: str) -> None:
    """What the deploy does before a start: chown what the app's uid does not own, with a
    short-lived root container that has only CHOWN and DAC_OVERRIDE and no network."""
    owner = f"{APP_UID}:{APP_GID}"
    engine.docker(
        "run", "--rm", "--user", "0:0", "--cap-drop", "ALL", "--cap-add", "CHOWN",
        "--cap-add", "DAC_OVERRIDE", "--security-opt", "no-new-privileges", "--read-only",
        "--network", "none", "-v", f"{volume}:/data", "--entrypoint", "find", image,
        "/data", "-xdev", "(", "!", "-uid", str(APP_UID), "-o", "!", "-gid", str(APP_GID), ")",
        "-exec", "chown", "-h", owner, "{}", "+",
    )


def wait_for_log(engine, name: str, text: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        logs = engine.docker_result("logs", name)
        if text in logs.stdout + logs.stderr:
            return text
        time.sleep(0.5)
    return engine.docker_result("logs", name).stderr


def test_a_volume_written_by_root_is_taken_over_without_losing_a_row(apps_engine, apps_images):
    image, volume = apps_images["scenario2-backend"], apps_engine.volume("itest-apps-s2-rootvol")
    old = apps_engine.docker(
        "run", "-d", "--name", "itest-apps-s2-as-root", "--label", "devopslab.test=itest-apps",
        "--user", "0:0", "-v", f"{volume}:/data", "-p", "127.0.0.1::5100", image,
        "sh", "-c", f"chown 0:0 /data && {GUNICORN}",
    )
    apps_engine.wait_healthy(old)
    apps_engine.docker("exec", "-d", old, "python3", "-c", HOLD_OPEN)
    url = apps_engine.url(old, 5100)
    written = [f"written as root {n}" for n in range(25)]
    for title in written:
        browser().post(f"{url}/posts", json={"title": title, "content": "c"}, timeout=10)
    apps_engine.docker("kill", old)  # no clean close: the rows wait in the -wal file
    assert set(owners(apps_engine, image, volume).values()) == {"0:0"}

    refused = start_backend(apps_engine, image, "itest-apps-s2-refused", volume)
    message = wait_for_log(apps_engine, refused, f"belongs to 0:0 and this app runs as {APP_UID}")
    apps_engine.remove(refused)
    hand_over(apps_engine, image, volume)
    backend = start_backend(apps_engine, image, "itest-apps-s2-taken-over", volume)
    apps_engine.wait_healthy(backend)
    url = apps_engine.url(backend, 5100)
    added = browser().post(f"{url}/posts", json={"title": "as 10001", "content": "c"}, timeout=10)
    stored = titles(url)
    apps_engine.remove(old, backend, volume)

    assert message == f"belongs to 0:0 and this app runs as {APP_UID}"
    assert added.status_code == 201
    assert sorted(stored) == sorted([*written, "as 10001"])
    assert json.dumps(stored).count("written as root") == 25


def test_a_full_data_disk_gets_503_with_a_reason_and_loses_no_accepted_post(
    apps_engine, apps_images
):
    """The data directory is a 256 KiB tmpfs, filled by posts until SQLite runs out of room."""
    name = "itest-apps-s2-fulldisk"
    apps_engine.run(name, apps_images["scenario2-backend"], "-p", "127.0.0.1::5100",
                    "--tmpfs", f"/data:rw,nosuid,size=256k,uid={APP_UID},gid={APP_GID}")
    try:
        apps_engine.wait_healthy(name)
        url = apps_engine.url(name, 5100)
        accepted, refusals = 0, []
        for number in range(200):
            body = json.dumps({"title": f"filler {number}", "content": "x" * 9000}).encode()
            status, text = apps_engine.request(f"{url}/posts", body, JSON)
            assert status in (201, 503), (status, text)
            if status == 503:
                refusals.append(json.loads(text)["error"])
                if len(refusals) == 3:
                    break
            else:
                accepted += 1
        assert refusals, "256 KiB never filled up"
        assert all("try again later" in reason for reason in refusals), refusals
        status, text = apps_engine.request(f"{url}/posts?limit=1")
        assert status in (200, 503), (status, text)
        if status == 200:
            assert json.loads(text)["total"] == accepted
    finally:
        apps_engine.remove(name)
