from __future__ import annotations

import socket


def test_index_greets_and_names_the_host_it_runs_on(client):
    response = client.get("/")

    assert response.status_code == 200
    assert response.json == {
        "message": "Hello from simple-app",
        "hostname": socket.gethostname(),
    }


def test_healthcheck_answers_ok(client):
    response = client.get("/api/healthcheck")

    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_unknown_path_is_not_found(client):
    assert client.get("/nope").status_code == 404


def test_index_accepts_only_get(client):
    assert client.post("/").status_code == 405
