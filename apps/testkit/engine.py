"""The host's Docker engine through the docker CLI, as the integration tests and the
benchmarks drive the lab images: hardened runs, waits, published URLs and cleanup.

Everything it makes carries one label, so remove_all() finds it again after a crash.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml
from ansible_collections.devopslab.docker_lab.plugins.module_utils.hardening import (
    docker_run_args,
)


def lab_base_image(repo: Path) -> str:
    """The base image `make images` chose for this machine; LAB_SCENARIOS_BASE_IMAGE wins."""
    if os.environ.get("LAB_SCENARIOS_BASE_IMAGE"):
        return os.environ["LAB_SCENARIOS_BASE_IMAGE"]
    lab_vars = repo / ".cache" / "lab-vars.yml"
    if not lab_vars.exists():
        raise FileNotFoundError(f"{lab_vars} is missing: run `make images` first")
    return yaml.safe_load(lab_vars.read_text())["lab_scenarios_base_image"]


class DockerCLI:
    def __init__(self, base_image: str, label: str) -> None:
        self.base_image = base_image
        self.label = label
        self._direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def docker_result(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False,
            env={**os.environ, "DOCKER_BUILDKIT": "0"},
        )

    def docker(self, *args: str, check: bool = True, timeout: float = 600) -> str:
        result = self.docker_result(*args, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)} failed:\n{result.stderr}")
        return result.stdout.strip()

    def build(self, context: Path, tag: str, *options: str) -> str:
        self.docker("build", "-q", "--build-arg", f"BASE_IMAGE={self.base_image}", *options,
                    "-t", tag, str(context))
        return tag

    def run(self, name: str, image: str, *options: str, baseline: dict | None = None,
            command: tuple[str, ...] = ()) -> str:
        """Start a container under the hardening baseline (or the one given) plus options."""
        self.docker("run", "-d", "--name", name, "--label", self.label,
                    *docker_run_args(baseline), *options, image, *command)
        return name

    def volume(self, name: str) -> str:
        self.docker("volume", "create", "--label", self.label, name)
        return name

    def network(self, name: str) -> str:
        self.docker("network", "create", "--label", self.label, name)
        return name

    def inspect(self, name: str) -> dict:
        return json.loads(self.docker("inspect", name))[0]

    def wait_healthy(self, name: str, timeout: float = 90) -> None:
        deadline, health = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            state = self.inspect(name)["State"]
            health = state.get("Health", {}).get("Status")
            if health == "healthy":
                return
            if not state["Running"] and not state["Restarting"]:
                break
            time.sleep(0.5)
        logs = self.docker_result("logs", "--tail", "30", name)
        raise AssertionError(f"{name} is not healthy ({health}); last logs:\n"
                             f"{logs.stdout}{logs.stderr}")

    def url(self, name: str, port: int) -> str:
        """http://127.0.0.1:<host port> where the container's port is published."""
        host_port = self.inspect(name)["NetworkSettings"]["Ports"][f"{port}/tcp"][0]["HostPort"]
        return f"http://127.0.0.1:{host_port}"

    def request(self, url: str, data: bytes | None = None,
                headers: dict | None = None) -> tuple[int, str]:
        """Status and body of a request (POST when data is given), never through a proxy."""
        outgoing = urllib.request.Request(url, data=data, headers=headers or {})
        try:
            with self._direct.open(outgoing, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def remove(self, *names: str) -> None:
        """Remove containers, then any volumes and networks among names."""
        self.docker("rm", "-f", "-v", *names, check=False)
        for kind in ("volume", "network"):
            self.docker(kind, "rm", *names, check=False)

    def remove_all(self) -> None:
        """Remove every container, network and volume that carries this label."""
        for kind in ("container", "network", "volume"):
            flags = ["-a"] if kind == "container" else []
            found = self.docker(kind, "ls", *flags, "-q", "--filter", f"label={self.label}",
                                check=False).split()
            if found:
                force = ["-f"] if kind != "network" else []
                self.docker(kind, "rm", *force, *found, check=False)
