from __future__ import annotations

import re

from app import create_app
from requestlog import LOG_FILE

LINE = re.compile(r"pid=\d+ INFO method=(\S+) path=(\S+) status=(\d+) duration_ms=\d+\.\d$")


def logged(tmp_path) -> list[tuple[str, str, str]]:
    lines = (tmp_path / LOG_FILE).read_text().splitlines()
    return [LINE.search(line).groups() for line in lines if "method=" in line]


def test_each_request_is_one_line_in_the_log_dir(client, tmp_path):
    client.get("/posts")
    client.post("/posts", data="{}", content_type="application/json")

    assert logged(tmp_path) == [("GET", "/posts", "200"), ("POST", "/posts", "400")]


def test_the_request_line_also_goes_to_stdout(make_app, tmp_path, capsys):
    make_app(str(tmp_path / "posts.db")).test_client().get("/posts/1")

    assert "method=GET path=/posts/1 status=404" in capsys.readouterr().out


def test_a_passing_health_check_is_not_logged_and_a_failing_one_is(client, tmp_path):
    client.get("/api/healthcheck")
    (tmp_path / "posts.db").unlink()
    (tmp_path / "posts.db").mkdir()

    client.get("/api/healthcheck")

    assert logged(tmp_path) == [("GET", "/api/healthcheck", "503")]


def test_an_encoded_newline_in_the_path_cannot_forge_a_line(client, tmp_path):
    client.get("/posts/1%0Amethod=GET path=/forged status=200")

    (line,) = logged(tmp_path)
    assert line[1] == "/posts/1%0Amethod=GET%20path=/forged%20status=200"
    assert line[2] == "404"


def test_a_log_dir_it_cannot_write_leaves_stdout_and_says_so(tmp_path, capsys):
    missing = tmp_path / "not-mounted"

    create_app(str(tmp_path / "posts.db"), log_dir=str(missing)).test_client().get("/posts")

    out, err = capsys.readouterr()
    assert f"LOG_DIR {missing} cannot take requests.log" in err
    assert "method=GET path=/posts status=200" in out
