"""The posts API as both backends must serve it, written once.

A backend's tests import these tests and give them two fixtures: `client`, a Flask
test client on a new database, and `make_app`, which builds the app on a given file.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

GOOD = {"title": "Example Title", "content": "This is an example content for the post."}


def post_json(client, document: object):
    return client.post("/posts", data=json.dumps(document), content_type="application/json")


def stored_total(client) -> int:
    return client.get("/posts").json["total"]


def test_a_new_post_is_created_and_read_back(client):
    response = post_json(client, GOOD)

    assert response.status_code == 201
    post = response.json
    assert {key: post[key] for key in GOOD} == GOOD
    assert response.headers["Location"] == f"/posts/{post['id']}"
    assert client.get(f"/posts/{post['id']}").json == post


def test_posts_are_listed_newest_first_with_the_total(client):
    ids = [post_json(client, {**GOOD, "title": f"post {n}"}).json["id"] for n in range(3)]

    listing = client.get("/posts").json

    assert [post["id"] for post in listing["posts"]] == ids[::-1]
    assert (listing["total"], listing["limit"], listing["offset"]) == (3, 100, 0)


def test_limit_and_offset_page_through_the_posts(client):
    ids = [post_json(client, GOOD).json["id"] for _ in range(5)]

    page = client.get("/posts?limit=2&offset=1").json

    assert [post["id"] for post in page["posts"]] == [ids[3], ids[2]]
    assert page["total"] == 5


def test_healthcheck_answers_ok(client):
    response = client.get("/api/healthcheck")

    assert (response.status_code, response.json) == (200, {"status": "ok"})


def test_posts_survive_a_restart_of_the_app(make_app, tmp_path):
    database = tmp_path / "posts.db"
    first = make_app(str(database)).test_client()
    post = post_json(first, GOOD).json

    second = make_app(str(database)).test_client()

    assert second.get(f"/posts/{post['id']}").json == post


BAD_BODIES = [
    pytest.param(b'{"title": "x", "content": ', "not valid JSON", id="malformed-json"),
    pytest.param(b"\xff\xfe{}", "not UTF-8", id="not-utf8"),
    pytest.param(b"[1, 2]", "must be a JSON object, got an array", id="array"),
    pytest.param(b"[" * 10_000 + b"]" * 10_000, "nests JSON too deeply", id="deeply-nested"),
    pytest.param(b'{"content": "c"}', "title is required", id="missing-title"),
    pytest.param(b'{"title": "t"}', "content is required", id="missing-content"),
    pytest.param(b'{"title": "", "content": "c"}', "title must not be empty", id="empty-title"),
    pytest.param(b'{"title": "t", "content": " \\n\\t"}', "content must not be empty",
                 id="blank-content"),
    pytest.param(b'{"title": 7, "content": "c"}', "title must be a string, got a number",
                 id="number-title"),
    pytest.param(b'{"title": "t", "content": null}', "content must be a string, got null",
                 id="null-content"),
    pytest.param(json.dumps({"title": "t" * 201, "content": "c"}).encode(),
                 "title is 201 characters long; the limit is 200", id="long-title"),
    pytest.param(json.dumps({"title": "t", "content": "c" * 10_001}).encode(),
                 "content is 10001 characters long; the limit is 10000", id="long-content"),
    pytest.param(b'{"title": "t", "content": "c", "author": "me"}', "unknown fields ['author']",
                 id="unknown-field"),
    pytest.param(b'{"title": "\\ud800", "content": "c"}', "lone surrogate", id="lone-surrogate"),
]


@pytest.mark.parametrize(("body", "message"), BAD_BODIES)
def test_a_bad_body_gets_400_naming_the_problem_and_stores_nothing(client, body, message):
    response = client.post("/posts", data=body, content_type="application/json")

    assert response.status_code == 400
    assert message in response.json["error"]
    assert stored_total(client) == 0


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_a_body_that_is_not_json_by_content_type_gets_415(client, content_type):
    response = client.post("/posts", data=json.dumps(GOOD), content_type=content_type)

    assert response.status_code == 415
    assert "Content-Type must be application/json" in response.json["error"]
    assert stored_total(client) == 0


def test_a_body_over_64_kib_gets_413(client):
    body = json.dumps({"title": "t", "content": "c", "pad": "x" * 64 * 1024})

    response = client.post("/posts", data=body, content_type="application/json")

    assert response.status_code == 413
    assert "65536 bytes" in response.json["error"]
    assert stored_total(client) == 0


def test_the_longest_allowed_title_and_content_are_accepted(client):
    post = {"title": "t" * 200, "content": "c" * 10_000}

    assert post_json(client, post).status_code == 201


@pytest.mark.parametrize("post_id", ["abc", "0", "-1", "1.5", "99999999999999999999", "١"])
def test_a_post_id_that_is_not_a_positive_whole_number_gets_400(client, post_id):
    response = client.get(f"/posts/{post_id}")

    assert response.status_code == 400
    assert "the post id must be a whole number" in response.json["error"]


def test_a_missing_post_gets_404_naming_the_id(client):
    response = client.get("/posts/42")

    assert (response.status_code, response.json) == (404, {"error": "no post has id 42"})


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=0", "limit must be a whole number from 1 to 1000"),
        ("limit=1001", "limit must be a whole number from 1 to 1000"),
        ("offset=-3", "offset must be a whole number"),
        ("offset=" + "9" * 5000, "offset must be a whole number"),
        ("page=2", "unknown query parameters ['page']"),
    ],
)
def test_a_bad_page_query_gets_400_naming_the_parameter(client, query, message):
    response = client.get(f"/posts?{query}")

    assert response.status_code == 400
    assert message in response.json["error"]


def test_unknown_paths_and_methods_answer_json_errors(client):
    missing = client.get("/nothing")
    not_allowed = client.delete("/posts")

    assert missing.status_code == 404 and "no such endpoint" in missing.json["error"]
    assert not_allowed.status_code == 405
    assert "GET, HEAD, OPTIONS, POST" in not_allowed.json["error"]


def test_sql_in_a_title_is_stored_as_text(client):
    title = "x'); DROP TABLE posts; --"

    post = post_json(client, {"title": title, "content": "c"}).json

    assert client.get(f"/posts/{post['id']}").json["title"] == title
    assert stored_total(client) == 1


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
texts = st.text(max_size=40) | st.text(min_size=195, max_size=205)
documents = (
    st.fixed_dictionaries({"title": texts, "content": texts})
    | st.fixed_dictionaries({}, optional={"title": json_values, "content": json_values})
    | st.dictionaries(st.sampled_from(["title", "content", "extra"]), texts, max_size=3)
    | json_values
)
bodies = documents.map(lambda doc: json.dumps(doc).encode()) | st.binary(max_size=60)
content_types = st.sampled_from(
    ["application/json", "application/json", "application/json; charset=utf-8", "text/plain"]
)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, content_type=content_types)
def test_any_body_gets_no_5xx_and_an_accepted_post_reads_back_unchanged(
    client, body, content_type
):
    before = stored_total(client)

    response = client.post("/posts", data=body, content_type=content_type)
    event(f"status {response.status_code}")

    assert response.status_code < 500
    if response.status_code != 201:
        assert stored_total(client) == before
        return
    sent = json.loads(body)
    stored = client.get(f"/posts/{response.json['id']}").json
    assert (stored["title"], stored["content"]) == (sent["title"], sent["content"])
    assert stored_total(client) == before + 1


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.text(max_size=30).filter(lambda p: "/" not in p and "?" not in p and "#" not in p))
def test_any_post_id_gets_no_5xx(client, path):
    assert client.get("/posts/" + path).status_code < 500


valid_titles = st.text(min_size=1, max_size=200).filter(str.strip)
valid_contents = st.text(min_size=1, max_size=400).filter(str.strip)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=valid_titles, content=valid_contents)
def test_every_post_within_the_rules_is_accepted_and_reads_back_unchanged(client, title, content):
    response = post_json(client, {"title": title, "content": content})

    assert response.status_code == 201
    stored = client.get(f"/posts/{response.json['id']}").json
    assert (stored["title"], stored["content"]) == (title, content)
