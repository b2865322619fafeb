from __future__ import annotations

import logging

from app import create_app


def test_without_a_secret_key_a_random_one_serves_this_process(caplog):
    with caplog.at_level(logging.WARNING):
        first = create_app({})
        second = create_app({})

    assert first.secret_key != second.secret_key
    assert "using a random key for this process" in caplog.text


def test_env_defaults_to_not_set_and_the_backend_to_localhost():
    app = create_app({"SECRET_KEY": "k"})

    assert app.config["ENV_NAME"] == "not set"
    assert app.config["BACKEND_URL"] == "http://localhost:5100"
