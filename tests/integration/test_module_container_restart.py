"""devopslab.docker_lab.container_restart against this machine's real Docker engine.

The cron file goes to a temporary directory instead of /etc/cron.d; its command
line is then run the way cron runs it, with a bare environment.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from module_runner import base_image, engine, run_module  # noqa: E402

MODULE = "devopslab.docker_lab.container_restart"
BASE_IMAGE = base_image()

pytestmark = pytest.mark.skipif(
    shutil.which("docker") is None, reason="needs the host's Docker engine (make engine)"
)


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    """A running container to restart, a cron directory, and their cleanup."""
    name = "dlmc" + uuid.uuid4().hex[:6]
    root = tmp_path_factory.mktemp(name)
    (root / "cron.d").mkdir()
    client = engine()
    container = client.containers.run(
        BASE_IMAGE,
        ["python3", "-c", "import time; time.sleep(3600)"],
        name=name,
        detach=True,
        user="10001:10001",
        read_only=True,
        cap_drop=["ALL"],
        network_mode="none",
    )
    args = {
        "name": "devopslab-test",
        "containers": [name],
        "schedule": "0 0 * * 0",
        "cron_dir": str(root / "cron.d"),
        "log_file": str(root / "log" / "restart.log"),
    }
    yield {"name": name, "root": root, "args": args, "container": container}
    container.remove(force=True)


def cron_file(target) -> Path:
    return target["root"] / "cron.d" / "devopslab-test"


def started_at(target) -> str:
    target["container"].reload()
    return target["container"].attrs["State"]["StartedAt"]


def test_check_mode_reports_the_file_and_writes_nothing(target):
    result = run_module(MODULE, target["args"], check=True, diff=True)

    assert result["changed"] is True
    assert f"docker restart {target['name']}" in result["diff"]["after"]
    assert not cron_file(target).exists()


def test_writes_one_cron_file_with_path_absolute_client_user_and_log(target):
    result = run_module(MODULE, target["args"])

    content = cron_file(target).read_text()
    line = result["lines"][0]
    docker = line.split()[6]
    assert result["changed"] is True and len(result["lines"]) == 1
    assert os.path.isabs(docker) and os.access(docker, os.X_OK)
    assert (
        line
        == f"0 0 * * 0 root {docker} restart {target['name']} >>{target['args']['log_file']} 2>&1"
    )
    assert "PATH=/usr/sbin:/usr/bin:/sbin:/bin" in content.splitlines()
    assert content.splitlines()[-1] == line
    assert cron_file(target).stat().st_mode & 0o777 == 0o644
    assert not [p for p in cron_file(target).parent.iterdir() if p.name.startswith(".")]


def test_second_run_changes_nothing(target):
    before = cron_file(target).stat().st_mtime_ns

    result = run_module(MODULE, target["args"], diff=True)

    assert result["changed"] is False
    assert cron_file(target).stat().st_mtime_ns == before


def test_the_cron_command_restarts_the_container_in_cron_s_bare_environment(target):
    line = cron_file(target).read_text().splitlines()[-1]
    command = line.split(" ", 6)[6]
    before = started_at(target)

    subprocess.run(["env", "-i", "PATH=/usr/bin:/bin", "/bin/sh", "-c", command], check=True)

    assert started_at(target) != before
    assert target["name"] in Path(target["args"]["log_file"]).read_text()


def test_prune_schedule_adds_a_prune_line_without_volumes(target):
    args = dict(target["args"], prune_schedule="@daily")

    result = run_module(MODULE, args, diff=True)

    prune = [line for line in result["lines"] if "prune" in line]
    assert result["changed"] is True
    assert len(prune) == 1 and prune[0].startswith("@daily root ")
    assert (
        " system prune -f >>" in prune[0] and "--volumes" not in prune[0] and " -a" not in prune[0]
    )
    assert "-0 0 * * 0" not in result["diff"]["before"]


def test_require_running_fails_for_a_stopped_container_and_keeps_the_file(target):
    before = cron_file(target).read_text()
    target["container"].stop(timeout=1)
    try:
        result = run_module(MODULE, dict(target["args"], schedule="@hourly"))
    finally:
        target["container"].start()

    assert result.get("failed") is True
    assert result["msg"].startswith("containers:") and target["name"] in result["msg"]
    assert cron_file(target).read_text() == before


def test_absent_removes_the_file_then_changes_nothing(target):
    args = dict(target["args"], state="absent")

    first, second = run_module(MODULE, args), run_module(MODULE, args)

    assert first["changed"] is True and second["changed"] is False
    assert not cron_file(target).exists()
