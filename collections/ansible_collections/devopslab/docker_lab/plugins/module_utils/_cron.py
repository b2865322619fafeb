# Copyright: DevOpsLab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cron schedules checked field by field, and the /etc/cron.d file that runs
`docker restart` and `docker system prune` on them.
"""

from __future__ import annotations

import re

MACROS = (
    "@reboot",
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
)
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")

# (name, lowest, highest, names cron accepts instead of a number)
FIELDS = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, MONTHS),
    ("day of week", 0, 7, DAYS),
)

_ITEM = re.compile(r"^(\*|[0-9]+(?:-[0-9]+)?)(?:/([0-9]+))?\Z")
CRON_FILE_NAME = re.compile(r"^[A-Za-z0-9_-]+\Z")
SAFE_PATH = re.compile(r"^/[A-Za-z0-9_./-]+\Z")
USER_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}\Z")
# unix:///path, tcp://host:port or ssh://user@host: one word, since it goes into the file.
DOCKER_HOST = re.compile(r"^(unix|tcp|ssh)://[A-Za-z0-9_.:@/\[\]-]+\Z")


def _item_problem(item: str, low: int, high: int, names: tuple) -> str | None:
    if item.lower() in names:
        return None
    match = _ITEM.match(item)
    if match is None:
        return f"{item!r} is not *, a number, a range a-b or one of those with /step"
    span, step = match.groups()
    if step is not None and int(step) == 0:
        return f"{item!r} has a step of 0"
    if span == "*":
        return None
    bounds = [int(part) for part in span.split("-")]
    if any(not low <= value <= high for value in bounds):
        return f"{item!r} is outside {low}-{high}"
    if len(bounds) == 2 and bounds[0] > bounds[1]:
        return f"{item!r} is a range that runs backwards"
    return None


def schedule_problem(schedule: str) -> str | None:
    """None for a schedule cron accepts, else what is wrong with it."""
    text = " ".join(str(schedule).split())
    if text.startswith("@"):
        return None if text in MACROS else f"{text!r} is not one of {', '.join(MACROS)}"
    fields = text.split(" ")
    if len(fields) != 5:
        return f"it has {len(fields)} fields; cron needs 5: minute hour day month weekday"
    for index, value in enumerate(fields):
        name, low, high, names = FIELDS[index]
        for item in value.split(","):
            problem = _item_problem(item, low, high, names)
            if problem:
                return f"the {name} field: {problem}"
    return None


def cron_line(schedule: str, user: str, command: list[str], log_file: str) -> str:
    """One cron.d line whose output is appended to log_file."""
    return f"{' '.join(schedule.split())} {user} {' '.join(command)} >>{log_file} 2>&1"


def render(lines: list[str], docker_host: str | None) -> str:
    """The whole cron.d file: a header, a fixed environment, then the lines."""
    header = [
        "# Scheduled container restarts and prune for the lab, kept by the",
        "# devopslab.docker_lab.container_restart module: edits here are overwritten.",
        "SHELL=/bin/sh",
        "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
    ]
    if docker_host:
        header.append(f"DOCKER_HOST={docker_host}")
    return "\n".join(header + lines) + "\n"
