"""Shared fixtures of the integration tests.

apps_*: the lab apps on the host's Docker engine, through the docker CLI with the
hardening baseline's own flags. Everything they make is named itest-apps-*, carries
the label devopslab.test=itest-apps, and is removed at the end of the session (and
at its start, after an interrupted run). The built images are kept, so the next run
builds from cache.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from ansible_collections.devopslab.docker_lab.plugins.module_utils.hardening import BASELINE

REPO = Path(__file__).resolve().parents[2]
APPS = REPO / "apps"
sys.path.insert(0, str(APPS))
from testkit.engine import DockerCLI, lab_base_image  # noqa: E402

APPS_PREFIX = "itest-apps"
APPS_LABEL = "devopslab.test=itest-apps"
APPS_IMAGES = {
    "scenario0": APPS / "scenario_0",
    "scenario1-backend": APPS / "scenario_1" / "backend",
    "scenario1-frontend": APPS / "scenario_1" / "frontend",
    "scenario2-backend": APPS / "scenario_2" / "backend",
    "scenario2-frontend": APPS / "scenario_2" / "frontend",
    "stress": APPS / "stress",
}


@pytest.fixture(scope="session")
def apps_engine():
    if shutil.which("docker") is None:
        pytest.skip("needs the host's Docker engine (make engine)")
    try:
        base_image = lab_base_image(REPO)
    except FileNotFoundError as missing:
        pytest.fail(str(missing))
    engine = DockerCLI(base_image, APPS_LABEL)
    engine.remove_all()
    yield engine
    engine.remove_all()


@pytest.fixture(scope="session")
def apps_dir() -> Path:
    return APPS


@pytest.fixture(scope="session")
def apps_images(apps_engine) -> dict[str, str]:
    """Every lab image built from this checkout on the machine's base image: name -> tag."""
    return {
        name: apps_engine.build(context, f"{APPS_PREFIX}/{name}:test")
        for name, context in APPS_IMAGES.items()
    }


@pytest.fixture(scope="session")
def apps_host_files(tmp_path_factory):
    """Host files as the deploy makes them: a log directory the app's uid owns, and a
    secret file that root owns and only the app's group may read."""
    root = tmp_path_factory.mktemp("itest-apps")
    uid, gid = (int(part) for part in BASELINE["user"].split(":"))

    def log_dir(name: str) -> Path:
        path = root / name
        path.mkdir(mode=0o750)
        os.chown(path, uid, gid)
        return path

    def secret(name: str, value: str) -> Path:
        path = root / name
        path.write_text(value + "\n")
        os.chown(path, 0, gid)
        path.chmod(0o440)
        return path

    return log_dir, secret
