from __future__ import annotations

import pytest
from flask.sessions import SecureCookieSessionInterface

from app import create_app
from requestlog import LOG_FILE


def test_without_a_secret_key_the_app_will_not_start():
    with pytest.raises(ValueError, match="set SECRET_KEY_FILE .* or SECRET_KEY"):
        create_app({})


def test_a_missing_secret_key_file_stops_the_start(tmp_path):
    with pytest.raises(FileNotFoundError):
        create_app({"SECRET_KEY_FILE": str(tmp_path / "absent")})


def test_the_session_is_signed_with_the_key_from_the_file(backend_url, tmp_path):
    (tmp_path / "secret_key").write_text("key-from-the-mounted-file\n")
    app = create_app({"SECRET_KEY_FILE": str(tmp_path / "secret_key"), "BACKEND_URL": backend_url})
    client = app.test_client()

    client.get("/")

    cookie = client.get_cookie("session").value
    signer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert app.secret_key == "key-from-the-mounted-file"
    assert "csrf_token" in signer.loads(cookie)


def test_each_page_request_is_one_line_in_the_log_dir(client, tmp_path):
    client.get("/")

    lines = (tmp_path / LOG_FILE).read_text().splitlines()
    assert len(lines) == 1 and "method=GET path=/ status=200 duration_ms=" in lines[0]
