"""apps/ against the contracts other parts read: the manifests, the Dockerfiles, the
compose files and the files two scenarios must carry alike. No engine needed."""

from __future__ import annotations

import re
import shutil
import subprocess
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml
from ansible_collections.devopslab.docker_lab.plugins.module_utils.hardening import (
    BASELINE,
    docker_run_args,
)

APPS = Path(__file__).resolve().parents[2] / "apps"
SCENARIOS = ["scenario_0", "scenario_1", "scenario_2", "stress"]
DOCKERFILES = sorted(APPS.glob("*/Dockerfile")) + sorted(APPS.glob("*/*/Dockerfile"))
HEALTH = "/api/healthcheck"

# (container_name, build, port, publish, extra fields) as the flask_scenario contract says.
CONTRACT = {
    "scenario_0": [("simple-app", ".", 8000, 8000, {})],
    "scenario_1": [
        ("scenario1-backend", "backend", 5100, 5100, {"data_dir": "/data"}),
        ("scenario1-frontend", "frontend", 8080, 8080,
         {"env.BACKEND_URL": "http://scenario1-backend:5100"}),
    ],
    "scenario_2": [
        ("scenario2-backend", "backend", 5100, 5200,
         {"data_dir": "/data", "log_dir": "/var/log/app"}),
        ("scenario2-frontend", "frontend", 8080, 80,
         {"log_dir": "/var/log/app", "secrets": ["secret_key"],
          "env.BACKEND_URL": "http://scenario2-backend:5100"}),
    ],
    "stress": [
        ("docker-stress", ".", None, None, {"env.var": "--cpu 1 --timeout 20s --metrics-brief"}),
    ],
}

# Each image builds from its own directory, so these are copies; they must not drift apart.
SAME_FILES = [
    ("scenario_1/backend/posts_api.py", "scenario_2/backend/posts_api.py"),
    ("scenario_1/frontend/pages.py", "scenario_2/frontend/pages.py"),
    ("scenario_1/frontend/templates/index.html", "scenario_2/frontend/templates/index.html"),
    ("scenario_2/backend/requestlog.py", "scenario_2/frontend/requestlog.py"),
    ("scenario_2/backend/gunicorn.conf.py", "scenario_2/frontend/gunicorn.conf.py"),
]


def field(service: dict, name: str):
    if name.startswith("env."):
        return service.get("env", {}).get(name[4:])
    return service.get(name)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_manifest_names_what_the_contract_names(scenario):
    manifest = yaml.safe_load((APPS / scenario / "scenario.yml").read_text())

    for service, (name, build, port, publish, extra) in zip(
        manifest["services"], CONTRACT[scenario], strict=True
    ):
        assert (service["container_name"], service["build"]) == (name, build)
        assert (service.get("port"), service.get("publish", service.get("port"))) == (port, publish)
        assert {key: field(service, key) for key in extra} == extra
        assert service.get("health_path") == (HEALTH if port else None)
        assert (APPS / scenario / build / "Dockerfile").is_file()


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.parent.relative_to(APPS)))
def test_every_dockerfile_takes_its_base_as_an_argument_and_runs_as_the_app_user(dockerfile):
    text = dockerfile.read_text()
    instructions = [line for line in text.splitlines() if line and not line.startswith("#")]

    assert instructions[0] == "ARG BASE_IMAGE=python:3.11.11-slim-bookworm"
    assert all(re.fullmatch(r"FROM \$\{BASE_IMAGE\}( AS \w+)?", line)
               for line in instructions if line.startswith("FROM"))
    assert f"USER {BASELINE['user']}" in instructions
    assert re.search(r'^LABEL version="\d+\.\d+\.\d+"', text, re.M)
    assert "HEALTHCHECK" in text and "curl" not in text
    assert "/usr/local/bin/python" not in text
    assert (dockerfile.parent / ".dockerignore").read_text().splitlines()[1] == "*"


@pytest.mark.parametrize("requirements", sorted(APPS.glob("**/requirements.txt")),
                         ids=lambda p: str(p.parent.relative_to(APPS)))
def test_requirements_are_pinned_to_what_the_unit_tests_run(requirements):
    pins = [line for line in requirements.read_text().splitlines() if not line.startswith("#")]

    for pin in pins:
        name, _, pinned = pin.partition("==")
        assert pinned, f"{pin} is not pinned with =="
        assert version(name) == pinned, f"{requirements}: {name} is {version(name)} here"


@pytest.mark.parametrize(("first", "second"), SAME_FILES)
def test_files_two_images_share_are_the_same(first, second):
    assert (APPS / first).read_bytes() == (APPS / second).read_bytes()


def compose_services(scenario: str) -> dict:
    rendered = subprocess.run(
        ["docker-compose", "-f", str(APPS / scenario / "docker-compose.yml"), "config"],
        capture_output=True, text=True, check=True, cwd=APPS / scenario,
    ).stdout
    return yaml.safe_load(rendered)["services"]


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="needs docker-compose")
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_compose_runs_every_service_under_the_hardening_baseline(scenario):
    for name, service in compose_services(scenario).items():
        assert service["user"] == BASELINE["user"], name
        assert service["read_only"] is True and service["cap_drop"] == BASELINE["cap_drop"]
        assert service["security_opt"] == BASELINE["security_opt"]
        assert [entry.split(":")[0] for entry in service["tmpfs"]] == list(BASELINE["tmpfs"])
        assert (service["mem_limit"], service["memswap_limit"]) == ("256m", "256m")
        assert service["cpus"] == BASELINE["cpus"]
        assert service["pids_limit"] == BASELINE["pids_limit"]
        assert all(port.startswith(BASELINE["bind_address"] + ":")
                   for port in service.get("ports", []))
        if scenario != "stress":  # a one-off run, which a restart policy would repeat forever
            assert service["restart"] == BASELINE["restart_policy"]
            assert service["logging"]["options"] == BASELINE["log_options"]


def test_the_readme_shows_the_baseline_flags_as_the_code_renders_them():
    assert " ".join(docker_run_args()) in (APPS / "README.md").read_text()
