"""When a container counts as healthy."""

from __future__ import annotations

import time

import pytest
from ansible_collections.devopslab.docker_lab.plugins.module_utils._health import (
    answers_http,
    health_state,
)


def started(seconds_ago: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime(time.time() - seconds_ago))


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ({"Running": True, "Health": {"Status": "healthy"}}, "healthy"),
        ({"Running": True, "Health": {"Status": "starting"}}, "starting"),
        ({"Running": True, "Health": {"Status": "unhealthy"}}, "unhealthy"),
        ({"Running": False, "Status": "exited"}, "unhealthy"),
        ({"Running": False, "Status": "created"}, "starting"),
        ({"Running": True, "Restarting": True, "Status": "restarting"}, "starting"),
        ({"Running": True, "StartedAt": started(10)}, "healthy"),
        ({"Running": True, "StartedAt": started(0)}, "starting"),
        ({"Running": True, "StartedAt": "0001-01-01T00:00:00Z"}, "healthy"),
    ],
)
def test_health_state_reads_the_engine_s_state(state, expected):
    assert health_state({"State": state}) == expected


def test_no_url_needs_no_answer():
    assert answers_http(None) is True


def test_a_closed_port_does_not_answer():
    assert answers_http("http://127.0.0.1:9/health") is False
