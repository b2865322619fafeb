"""The lab apps deployed by the flask_scenario module, as the lab_scenarios role deploys
them: each scenario's real manifest and images, with this run's names and free ports.

A copy of each scenario is deployed with its container names prefixed by itest-apps-dep
(and BACKEND_URL following them), every published port moved to a free loopback port.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import sys
from pathlib import Path

import pytest
import yaml
from ansible_collections.devopslab.docker_lab.plugins.module_utils.hardening import APP_UID

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from module_runner import run_module  # noqa: E402

MODULE = "devopslab.docker_lab.flask_scenario"
PREFIX = "itest-apps-dep"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def renamed_copy(scenario: Path, target: Path) -> tuple[dict, dict]:
    """The scenario copied to target with this run's names; returns its manifest and ports."""
    shutil.copytree(scenario, target, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    manifest = yaml.safe_load((target / "scenario.yml").read_text())
    ports = {}
    for service in manifest["services"]:
        service["container_name"] = f"{PREFIX}-{service['container_name']}"
        backend = service.get("env", {}).get("BACKEND_URL")
        if backend:
            service["env"]["BACKEND_URL"] = re.sub(r"//", f"//{PREFIX}-", backend)
        if service.get("port"):
            ports[service["name"]] = free_port()
    (target / "scenario.yml").write_text(yaml.safe_dump(manifest))
    return manifest, ports


@pytest.fixture
def deploy(apps_engine, apps_dir, tmp_path):
    """Deploy a scenario with the module; remove it, its volumes and its images after."""
    deployed = []

    def run(scenario: str) -> tuple[dict, dict, dict]:
        manifest, ports = renamed_copy(apps_dir / scenario, tmp_path / scenario)
        name = f"{PREFIX}-{scenario.replace('_', '')}"
        args = {
            "name": name, "src": str(tmp_path / scenario), "version": "1.0.0",
            "base_image": apps_engine.base_image, "image_prefix": PREFIX,
            "ports": ports, "network": f"{PREFIX}-net", "network_bridge": "br-itest-apps",
            "log_root": str(tmp_path / "logs"), "secrets_root": str(tmp_path / "secrets"),
            "health_timeout": 90,
        }
        deployed.append(args)
        return run_module(MODULE, args), manifest, ports

    yield run
    for args in deployed:
        run_module(MODULE, dict(args, state="absent", remove_data=True))
    apps_engine.docker("network", "rm", f"{PREFIX}-net", check=False)
    images = apps_engine.docker("images", "-q", f"{PREFIX}/*").split()
    if images:
        apps_engine.docker("rmi", "-f", *sorted(set(images)), check=False)


@pytest.mark.parametrize("scenario", ["scenario_0", "scenario_1", "scenario_2"])
def test_every_service_comes_up_healthy_and_answers_on_loopback(apps_engine, deploy, scenario):
    result, manifest, ports = deploy(scenario)

    assert result.get("failed") is not True, result.get("msg")
    for service in manifest["services"]:
        state = apps_engine.inspect(service["container_name"])["State"]
        url = f"http://127.0.0.1:{ports[service['name']]}{service['health_path']}"
        assert state["Health"]["Status"] == "healthy"
        assert apps_engine.request(url)[0] == 200


def test_scenario2_deployed_stores_posts_logs_to_the_host_and_reads_its_secret(
    apps_engine, deploy, tmp_path
):
    result, manifest, ports = deploy("scenario_2")
    backend = f"http://127.0.0.1:{ports['backend']}"
    frontend = f"http://127.0.0.1:{ports['frontend']}"

    created, _ = apps_engine.request(f"{backend}/posts", json.dumps(
        {"title": "deployed by the module", "content": "c"}).encode(),
        {"Content-Type": "application/json"})
    status, page = apps_engine.request(f"{frontend}/")

    assert result.get("failed") is not True, result.get("msg")
    assert (created, status) == (201, 200) and "deployed by the module" in page
    backend_log = tmp_path / "logs" / f"{PREFIX}-scenario2-backend" / "requests.log"
    assert "method=POST path=/posts status=201" in backend_log.read_text()
    assert backend_log.stat().st_uid == APP_UID
