"""Cron schedules: what cron accepts, and the line and file the module writes."""

from __future__ import annotations

import pytest
from ansible_collections.devopslab.docker_lab.plugins.module_utils._cron import (
    CRON_FILE_NAME,
    DOCKER_HOST,
    SAFE_PATH,
    USER_NAME,
    cron_line,
    render,
    schedule_problem,
)


@pytest.mark.parametrize(
    "schedule",
    [
        "0 0 * * 0",
        "*/15 * * * *",
        "0 3 1-7 * mon",
        "0,30 8-18/2 * jan 7",
        "  5   4 * * 6 ",
        "@weekly",
        "@reboot",
        "59 23 31 12 7",
    ],
)
def test_schedules_cron_accepts_pass(schedule):
    assert schedule_problem(schedule) is None


@pytest.mark.parametrize(
    ("schedule", "problem"),
    [
        ("61 * * * *", "the minute field: '61' is outside 0-59"),
        ("0 24 * * *", "the hour field: '24' is outside 0-23"),
        ("0 0 0 * *", "the day of month field: '0' is outside 1-31"),
        ("0 0 * 13 *", "the month field: '13' is outside 1-12"),
        ("0 0 * * 8", "the day of week field: '8' is outside 0-7"),
        ("0 5-1 * * *", "'5-1' is a range that runs backwards"),
        ("*/0 * * * *", "has a step of 0"),
        ("0 0 * *", "it has 4 fields"),
        ("0 0 * * * *", "it has 6 fields"),
        ("0 0 * * 0; rm -rf /", "it has 8 fields"),
        ("0 0 * * $(id)", "is not *, a number"),
        ("@sometimes", "is not one of @reboot"),
        ("0 0 * * mon-fri", "is not *, a number"),
    ],
)
def test_malformed_schedules_say_what_is_wrong(schedule, problem):
    assert problem in schedule_problem(schedule)


def test_cron_line_names_the_user_and_appends_output_to_the_log():
    line = cron_line("0  0 * * 0", "root", ["/usr/bin/docker", "restart", "web"], "/var/log/r.log")

    assert line == "0 0 * * 0 root /usr/bin/docker restart web >>/var/log/r.log 2>&1"


def test_rendered_file_sets_its_own_path_and_ends_with_a_newline():
    content = render(["@daily root /usr/bin/docker system prune -f >>/l 2>&1"], None)

    lines = content.splitlines()
    assert "PATH=/usr/sbin:/usr/bin:/sbin:/bin" in lines and "SHELL=/bin/sh" in lines
    assert content.endswith("\n") and not any(line.startswith("DOCKER_HOST") for line in lines)
    assert lines[-1].startswith("@daily root ")


def test_rendered_file_sets_docker_host_when_it_is_not_the_default():
    assert "DOCKER_HOST=tcp://127.0.0.1:2375" in render([], "tcp://127.0.0.1:2375").splitlines()


@pytest.mark.parametrize(
    "pattern, value",
    [
        (USER_NAME, "root\n"),
        (SAFE_PATH, "/var/log/devopslab/restart.log\n"),
        (CRON_FILE_NAME, "devopslab-restart\n"),
        (DOCKER_HOST, "tcp://127.0.0.1:2375\n* * * * * root id"),
        (DOCKER_HOST, "unix:///run/docker.sock\n"),
    ],
)
def test_a_value_that_would_add_a_line_to_the_cron_file_fails_its_check(pattern, value):
    assert pattern.match(value.split("\n")[0])
    assert not pattern.match(value)
