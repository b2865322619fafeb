# Copyright: DevOpsLab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a lab container is healthy: the engine's view of its health check,
then, for a published service, an HTTP request to it from the target."""

from __future__ import annotations

import calendar
import time

from ansible.module_utils.urls import open_url
from ansible_collections.devopslab.docker_lab.plugins.module_utils import _engine as engine

# A container without a health check counts as healthy after this long running.
SETTLE_SECONDS = 2


def running_for(state: dict) -> float:
    """Seconds since the container last started, 0 when unknown."""
    started = str(state.get("StartedAt") or "")[:19]
    try:
        then = calendar.timegm(time.strptime(started, "%Y-%m-%dT%H:%M:%S"))
    except ValueError:
        return 0.0
    return time.time() - then


def health_state(inspect: dict) -> str:
    """healthy, unhealthy or starting, from `docker inspect` output."""
    state = inspect.get("State") or {}
    if not state.get("Running") or state.get("Restarting"):
        return "starting" if state.get("Status") in ("created", "restarting") else "unhealthy"
    health = state.get("Health")
    if health:
        return health.get("Status", "starting")
    return "healthy" if running_for(state) >= SETTLE_SECONDS else "starting"


def answers_http(url: str | None) -> bool:
    """True when url answers 200, or when there is no url to ask."""
    if url is None:
        return True
    try:
        return open_url(url, timeout=3, validate_certs=False).getcode() == 200
    except (OSError, ValueError):
        return False


def wait_healthy(api, name: str, url: str | None, deadline: float) -> dict | None:
    """None once the container is healthy and url answers; else what was seen when it
    turned unhealthy or the deadline (a time.monotonic() value) passed."""
    inspect = engine.inspect_container(api, name) or {}
    while True:
        state = health_state(inspect)
        if state == "healthy" and answers_http(url):
            return None
        if state == "unhealthy" or time.monotonic() > deadline:
            return {
                "container": name,
                "health": state,
                "health_log": engine.health_log(inspect),
                "logs": engine.container_logs(api, name),
            }
        time.sleep(1)
        inspect = engine.inspect_container(api, name) or {}
