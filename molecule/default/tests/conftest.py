"""Shared fixtures for the lab VM's verify tests.

Testinfra reaches the lab VM through Molecule's inventory. Tests that run the
project's playbooks again go through `run_playbook`, which uses the same
inventory and the project's own ansible.cfg.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[3]
PLAYBOOKS = Path(__file__).resolve().parent / "playbooks"
LAB_HOSTS = "ansible://lab?ansible_inventory=" + os.environ.get("MOLECULE_INVENTORY_FILE", "")


@dataclass
class PlaybookRun:
    rc: int
    output: str
    seconds: float


def run_playbook(playbook: str, extra_vars: dict | None = None, *args: str) -> PlaybookRun:
    """Run one of tests/playbooks against the lab VM with Molecule's inventory."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"), ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_CALLBACK_RESULT_FORMAT="json")
    env.pop("ANSIBLE_ROLES_PATH", None)
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    cmd = [
        "ansible-playbook",
        "-i", os.environ["MOLECULE_INVENTORY_FILE"],
        "-e", "@" + str(PROJECT / ".cache" / "lab-vars.yml"),
        "-e", json.dumps(extra_vars or {}),
        str(PLAYBOOKS / playbook),
        *args,
    ]
    started = time.monotonic()
    done = subprocess.run(cmd, cwd=PROJECT, env=env, capture_output=True, text=True, check=False)
    return PlaybookRun(done.returncode, done.stdout + done.stderr, time.monotonic() - started)


def lab_base_image() -> str:
    for line in (PROJECT / ".cache" / "lab-vars.yml").read_text().splitlines():
        if line.startswith("lab_scenarios_base_image:"):
            return line.split(":", 1)[1].strip().strip('"')
    raise AssertionError("lab_scenarios_base_image missing from .cache/lab-vars.yml")


def ensure_image_in_vm(host, vm: str, image: str) -> None:
    """Load the lab's base image into the VM's engine when it is not there yet."""
    if host.run(f"docker image inspect {image}").rc == 0:
        return
    archive = PROJECT / ".cache" / "images" / "python-base.tar"
    with archive.open("rb") as stream:
        subprocess.run(["docker", "exec", "-i", vm, "docker", "load"], stdin=stream, check=True,
                       capture_output=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the tests that restart or reconfigure things after the read-only checks."""
    items.sort(key=lambda item: item.get_closest_marker("disruptive") is not None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "disruptive: reconfigures the lab VM; runs last")


@pytest.fixture(scope="module")
def vm_name(host) -> str:
    """The lab VM's container name on this machine's engine."""
    return host.backend.get_hostname()
