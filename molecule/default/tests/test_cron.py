"""The container_restarts role on the lab VM: the cron file, checked by cron's
own rules and run the way cron runs it."""

from __future__ import annotations

import json
import time

import pytest
from conftest import LAB_HOSTS

testinfra_hosts = [LAB_HOSTS]

CRON_FILE = "/etc/cron.d/devopslab-container-restart"
LOG_FILE = "/var/log/devopslab/container-restart.log"
RESTARTED = [
    "simple-app",
    "scenario1-backend",
    "scenario1-frontend",
    "scenario2-backend",
    "scenario2-frontend",
]
FIELD_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


def jobs(host) -> list[str]:
    lines = host.file(CRON_FILE).content_string.splitlines()
    return [
        line for line in lines if line and not line.startswith("#") and "=" not in line.split()[0]
    ]


def in_range(item: str, low: int, high: int) -> bool:
    span = item.split("/")[0]
    if span == "*":
        return True
    return all(low <= int(part) <= high for part in span.split("-"))


def started_at(host, name: str) -> str:
    return host.check_output(f"docker inspect -f '{{{{.State.StartedAt}}}}' {name}")


def test_cron_is_running_and_the_file_is_root_s_and_not_writable_by_others(host):
    cron_file = host.file(CRON_FILE)

    assert host.service("cron").is_running and host.service("cron").is_enabled
    assert (cron_file.user, cron_file.group, cron_file.mode) == ("root", "root", 0o644)


def test_file_sets_its_own_path_and_shell(host):
    lines = host.file(CRON_FILE).content_string.splitlines()

    assert "PATH=/usr/sbin:/usr/bin:/sbin:/bin" in lines
    assert "SHELL=/bin/sh" in lines


def test_restart_line_has_a_valid_schedule_the_user_an_absolute_client_and_a_log(host):
    (line,) = [job for job in jobs(host) if " restart " in job]
    fields = line.split()
    docker = fields[6]

    assert all(
        in_range(item, low, high)
        for value, (low, high) in zip(fields[:5], FIELD_RANGES, strict=True)
        for item in value.split(",")
    )
    assert fields[5] == "root"
    assert docker.startswith("/") and host.file(docker).is_file and host.file(docker).mode & 0o111
    assert fields[7:-2] == ["restart", *RESTARTED]
    assert fields[-2:] == [f">>{LOG_FILE}", "2>&1"]


def test_cron_read_the_file_without_complaint(host):
    journal = host.check_output("journalctl -u cron --no-pager -o cat")

    assert not [
        line for line in journal.splitlines() if "devopslab" in line and "error" in line.lower()
    ]


@pytest.mark.disruptive
def test_the_cron_command_in_a_bare_environment_restarts_the_containers(host):
    (line,) = [job for job in jobs(host) if " restart " in job]
    command = line.split(None, 6)[6]
    before = {name: started_at(host, name) for name in RESTARTED}

    run = host.run(f"env -i PATH=/usr/bin:/bin /bin/sh -c {json.dumps(command)}")

    assert run.rc == 0, run.stderr
    assert all(started_at(host, name) != before[name] for name in RESTARTED)
    log = host.file(LOG_FILE).content_string
    assert all(name in log for name in RESTARTED)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        health = host.check_output(
            "docker inspect -f '{{.State.Health.Status}}' " + " ".join(RESTARTED)
        ).split()
        if set(health) == {"healthy"}:
            break
        time.sleep(2)
    assert set(health) == {"healthy"}
