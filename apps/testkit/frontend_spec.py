"""The posts page as both frontends must serve it, written once.

A frontend's tests import these tests and give them three fixtures: `backend_url`,
a live backend; `make_app`, the app factory taking an environment mapping; and
`client`, a test client of the app on that backend.
"""

from __future__ import annotations

import re

import pytest

from testkit.live_server import free_port
from testkit.servers import get_json

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def fresh_token(client) -> str:
    return TOKEN.search(client.get("/").get_data(as_text=True)).group(1)


def submit(client, title: str, content: str, token: str | None = None):
    token = fresh_token(client) if token is None else token
    form = {"title": title, "content": content, "csrf_token": token}
    return client.post("/posts", data=form)


def backend_total(backend_url: str) -> int:
    return get_json(f"{backend_url}/posts?limit=1")["total"]


def test_the_page_shows_the_env_it_runs_with(client):
    page = client.get("/").get_data(as_text=True)

    assert '<strong id="env">test-env</strong>' in page


def test_a_post_added_through_the_form_is_listed(client):
    response = submit(client, "From the form", "Hello from a browser")

    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "From the form" in page and "Hello from a browser" in page
    assert re.search(r"Post #\d+ added\.", page)


def test_a_title_with_markup_is_shown_as_text(client):
    submit(client, "<script>alert(1)</script>", "<b>bold?</b>")

    page = client.get("/").get_data(as_text=True)

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page and "<b>bold?</b>" not in page


def test_a_form_without_its_token_is_refused_and_stores_nothing(client, backend_url):
    before = backend_total(backend_url)

    response = submit(client, "Forged", "from elsewhere", token="not-the-token")

    assert response.status_code == 400
    assert "reload and retry" in response.get_data(as_text=True)
    assert backend_total(backend_url) == before


def test_the_backends_refusal_is_shown_and_the_form_kept(client, backend_url):
    before = backend_total(backend_url)

    response = submit(client, "   ", "kept content")

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "title must not be empty" in page
    assert ">kept content</textarea>" in page
    assert backend_total(backend_url) == before


def test_a_form_over_64_kib_gets_413(client):
    response = submit(client, "big", "x" * 70_000)

    assert response.status_code == 413


def test_an_unreachable_backend_gives_502_naming_it(make_app):
    url = f"http://127.0.0.1:{free_port()}"
    client = make_app({"BACKEND_URL": url, "SECRET_KEY": "k"}).test_client()

    response = client.get("/")

    assert response.status_code == 502
    assert f"The backend at {url} did not answer" in response.get_data(as_text=True)


def test_healthcheck_answers_ok(client):
    response = client.get("/api/healthcheck")

    assert (response.status_code, response.json) == (200, {"status": "ok"})


def test_pages_carry_security_headers(client):
    headers = client.get("/").headers

    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://backend", "backend:5100"])
def test_a_backend_url_that_is_not_http_stops_the_start(make_app, url):
    with pytest.raises(ValueError, match="BACKEND_URL must start with http:// or https://"):
        make_app({"BACKEND_URL": url, "SECRET_KEY": "k"})


def test_the_secret_key_file_wins_over_the_variable(make_app, tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text("from-the-file\n")

    app = make_app({"SECRET_KEY_FILE": str(key_file), "SECRET_KEY": "from-the-env"})

    assert app.secret_key == "from-the-file"


def test_an_empty_secret_key_file_stops_the_start(make_app, tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text("\n")

    with pytest.raises(ValueError, match="is empty"):
        make_app({"SECRET_KEY_FILE": str(key_file)})
