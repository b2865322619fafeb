"""Bad options for both modules: each run fails with a message that names the
option and what it accepts, and leaves the engine and the files as they were."""

from __future__ import annotations

import shutil
import socket
import sys
import uuid
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from module_runner import engine, engine_snapshot, run_module  # noqa: E402

FIXTURE = Path(__file__).parent / "fixtures" / "tinyapp"

pytestmark = pytest.mark.skipif(
    shutil.which("docker") is None, reason="needs the host's Docker engine (make engine)"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def place(tmp_path_factory):
    """A valid scenario copy, one with a hostile container name, and a port someone holds."""
    prefix = "dlmb" + uuid.uuid4().hex[:6]
    root = tmp_path_factory.mktemp(prefix)
    good, hostile = root / "good", root / "hostile"
    for copy, api_name in ((good, f"{prefix}-api"), (hostile, "api;rm -rf /")):
        shutil.copytree(FIXTURE, copy)
        manifest = yaml.safe_load((copy / "scenario.yml").read_text())
        for service in manifest["services"]:
            service["container_name"] = f"{prefix}-{service['name']}"
            service["port"] = service["publish"] = free_port()
        manifest["services"][0]["container_name"] = api_name
        (copy / "scenario.yml").write_text(yaml.safe_dump(manifest))
    (root / "empty").mkdir()
    (root / "cron.d").mkdir()
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    yield {"prefix": prefix, "root": root, "held_port": holder.getsockname()[1]}
    holder.close()


def scenario_args(place, **changes) -> dict:
    prefix, root = place["prefix"], place["root"]
    args = {
        "name": prefix,
        "src": str(root / "good"),
        "image_prefix": prefix,
        "network": f"{prefix}-net",
        "network_bridge": f"br-{prefix}",
        "log_root": str(root / "logs"),
        "secrets_root": str(root / "secrets"),
    }
    args.update(changes)
    return {k: v for k, v in args.items() if v is not None}


def restart_args(place, **changes) -> dict:
    args = {
        "containers": [f"{place['prefix']}-api"],
        "require_running": False,
        "cron_dir": str(place["root"] / "cron.d"),
        "log_file": str(place["root"] / "cronlog" / "restart.log"),
    }
    args.update(changes)
    return args


SCENARIO_CASES = [
    ("unknown scenario", {"src": "{root}/empty"}, "src must be a scenario directory"),
    ("missing src", {"src": None}, "src is required"),
    (
        "port out of range",
        {"ports": {"api": 70000}},
        "ports.api must be a port number from 1 to 65535",
    ),
    (
        "port already taken",
        {"ports": {"api": "{held}"}},
        "ports: host port {held} on 127.0.0.1 is already in use",
    ),
    ("negative memory", {"memory": "-256m"}, "memory must be a size of at least 6m"),
    ("memory without a unit it knows", {"memory": "256x"}, "memory must be a size"),
    ("no CPUs", {"cpus": 0}, "cpus must be from 0.01 to"),
    (
        "shell metacharacters in a container name",
        {"src": "{root}/hostile"},
        "services[0].container_name must be",
    ),
    (
        "ports for a service the manifest lacks",
        {"ports": {"db": 5432}},
        "ports names the service 'db'",
    ),
    ("a bad environment name", {"env": {"1BAD": "x"}}, "env has the variable name '1BAD'"),
    ("a bad image tag", {"version": "1.0 beta"}, "version must be a Docker image tag"),
    (
        "a bind address that is no address",
        {"bind_address": "localhost"},
        "bind_address must be an IP address",
    ),
    (
        "a bridge name too long for Linux",
        {"network_bridge": "br-much-too-long-name"},
        "network_bridge must be",
    ),
    ("a user that is not numeric", {"user": "app"}, "user must be a numeric uid or uid:gid"),
    (
        "a version with a trailing newline",
        {"version": "1.0\n"},
        "version must be a Docker image tag",
    ),
]

RESTART_CASES = [
    (
        "a minute out of range",
        {"schedule": "61 * * * *"},
        "schedule '61 * * * *' is not a cron schedule",
    ),
    (
        "too few fields",
        {"schedule": "0 0 *"},
        "schedule '0 0 *' is not a cron schedule: it has 3 fields",
    ),
    (
        "an unknown macro",
        {"prune_schedule": "@sometimes"},
        "prune_schedule '@sometimes' is not a cron schedule",
    ),
    (
        "a backwards range",
        {"schedule": "0 5-1 * * *"},
        "the hour field: '5-1' is a range that runs backwards",
    ),
    (
        "shell metacharacters in a container name",
        {"containers": ["web; rm -rf /"]},
        "containers must be",
    ),
    (
        "a cron file name cron would skip",
        {"name": "restart.cron"},
        "name must be letters, digits, _ and -",
    ),
    (
        "a log file with a space",
        {"log_file": "/var/log/my log"},
        "log_file must be an absolute path",
    ),
    ("nothing to schedule", {"containers": []}, "containers is empty and prune_schedule unset"),
    ("a user with a trailing newline", {"user": "root\n"}, "user must be a user name"),
    (
        "a log file with a trailing newline",
        {"log_file": "/var/log/restart.log\n"},
        "log_file must be an absolute path",
    ),
    (
        "an engine address that carries a second cron line",
        {"docker_host": "tcp://127.0.0.1:2375\n* * * * * root touch /tmp/x"},
        "docker_host must be a unix://, tcp:// or ssh:// address",
    ),
]


def fill(value, place):
    """Put this run's paths and held port into a case's values."""
    if isinstance(value, str):
        text = value.format(root=place["root"], held=place["held_port"])
        return int(text) if value == "{held}" else text
    if isinstance(value, dict):
        return {k: fill(v, place) for k, v in value.items()}
    return value


def unchanged(place, before: dict) -> None:
    assert engine_snapshot(engine(), place["prefix"]) == before
    assert not (place["root"] / "logs").exists() and not (place["root"] / "secrets").exists()
    assert list((place["root"] / "cron.d").iterdir()) == []
    assert not (place["root"] / "cronlog").exists()


@pytest.mark.parametrize(
    ("case", "changes", "message"), SCENARIO_CASES, ids=[c[0] for c in SCENARIO_CASES]
)
def test_flask_scenario_refuses_bad_input_and_changes_nothing(place, case, changes, message):
    before = engine_snapshot(engine(), place["prefix"])

    result = run_module(
        "devopslab.docker_lab.flask_scenario", scenario_args(place, **fill(changes, place))
    )

    assert result.get("failed") is True, case
    assert fill(message, place) in result["msg"], result["msg"]
    unchanged(place, before)


@pytest.mark.parametrize(
    ("case", "changes", "message"), RESTART_CASES, ids=[c[0] for c in RESTART_CASES]
)
def test_container_restart_refuses_bad_input_and_changes_nothing(place, case, changes, message):
    before = engine_snapshot(engine(), place["prefix"])

    result = run_module("devopslab.docker_lab.container_restart", restart_args(place, **changes))

    assert result.get("failed") is True, case
    assert message in result["msg"], result["msg"]
    unchanged(place, before)
