# Copyright: DevOpsLab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each service's container should be: the manifest and the module's
options over the hardening baseline, in the engine's own field names and in the
canonical shape that _spec compares."""

from __future__ import annotations

import os

from ansible_collections.devopslab.docker_lab.plugins.module_utils._spec import normalize_container
from ansible_collections.devopslab.docker_lab.plugins.module_utils.hardening import BASELINE

NS = 1_000_000_000

# The health check for an image without one: GET the service's health_path inside the
# container with the image's own python3; exit 0 only on HTTP 200.
HTTP_PROBE = (
    "import http.client, sys; "
    "c = http.client.HTTPConnection('127.0.0.1', int(sys.argv[1]), timeout=4); "
    "c.request('GET', sys.argv[2]); sys.exit(c.getresponse().status != 200)"
)


class Wanted:
    """The wanted settings of a scenario's containers.

    limits holds memory, memory_swap (bytes) and nano_cpus, checked already;
    apparmor maps a container name to the profile it runs with.
    """

    def __init__(self, params: dict, limits: dict, ports: dict, env: dict, apparmor):
        self.params = params
        self.limits = limits
        self.ports = ports
        self.env = env
        self.apparmor = apparmor

    def publish(self, service: dict) -> int | None:
        """The host port of a service, or None when it is not published."""
        if service["name"] in self.ports:
            return self.ports[service["name"]] if service["port"] else None
        return service["publish"]

    def probe_address(self) -> str:
        """Where the target reaches the published ports."""
        address = self.params["bind_address"]
        return {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(address, address)

    def url(self, service: dict, path: str = "/") -> str | None:
        port = self.publish(service)
        return None if port is None else f"http://{self.probe_address()}:{port}{path}"

    def probe_url(self, service: dict) -> str | None:
        return self.url(service, service["health_path"]) if service["health_path"] else None

    def image_tag(self, service: dict) -> str:
        prefix, version = self.params["image_prefix"], self.params["version"]
        return f"{prefix}/{service['container_name']}:{version}"

    def labels(self, service: dict) -> dict[str, str]:
        return {
            "devopslab.scenario": self.params["name"],
            "devopslab.service": service["name"],
            "devopslab.version": self.params["version"],
        }

    def environment(self, service: dict) -> dict[str, str]:
        """PORT and <SECRET>_FILE, then the manifest's env, then the module's env."""
        env = {}
        if service["port"]:
            env["PORT"] = str(service["port"])
        for secret in service["secrets"]:
            env[f"{secret.upper()}_FILE"] = f"/run/secrets/{secret}"
        env.update(service["env"])
        env.update(self.env)
        return env

    def mounts(self, service: dict) -> list[dict]:
        """The data volume, the log directory and the secret files, as engine Mounts."""
        name = service["container_name"]
        mounts = []
        if service["data_dir"]:
            mounts.append(
                {"Type": "volume", "Source": f"{name}-data", "Target": service["data_dir"]}
            )
        if service["log_dir"]:
            source = os.path.join(self.params["log_root"], name)
            mounts.append({"Type": "bind", "Source": source, "Target": service["log_dir"]})
        for secret in service["secrets"]:
            source = os.path.join(self.params["secrets_root"], name, secret)
            target = f"/run/secrets/{secret}"
            mounts.append({"Type": "bind", "Source": source, "Target": target, "ReadOnly": True})
        return mounts

    def healthcheck(self, service: dict, image: dict | None) -> dict | None:
        """The image's own health check, else an HTTP probe of health_path, else none."""
        own = ((image or {}).get("Config") or {}).get("Healthcheck")
        if own and own.get("Test") and own["Test"] != ["NONE"]:
            return own
        if not (service["port"] and service["health_path"]):
            return own
        probe = ["CMD", "python3", "-c", HTTP_PROBE, str(service["port"]), service["health_path"]]
        return {
            "Test": probe,
            "Interval": 5 * NS,
            "Timeout": 5 * NS,
            "Retries": 3,
            "StartPeriod": 15 * NS,
        }

    def security_options(self, service: dict) -> list[str]:
        options = ["no-new-privileges"] if self.params["no_new_privileges"] else []
        return sorted(options + [f"apparmor={self.apparmor(service['container_name'])}"])

    def host_config(self, service: dict) -> dict:
        """The HostConfig fields the module sets, as `docker inspect` shows them."""
        publish = self.publish(service)
        bindings = {}
        if publish is not None:
            address = self.params["bind_address"]
            bindings[f"{service['port']}/tcp"] = [{"HostIp": address, "HostPort": str(publish)}]
        return {
            "ReadonlyRootfs": self.params["read_only"],
            "Tmpfs": dict(BASELINE["tmpfs"]),
            "CapDrop": list(BASELINE["cap_drop"]),
            "CapAdd": list(self.params["cap_add"]),
            "SecurityOpt": self.security_options(service),
            "Memory": self.limits["memory"],
            "MemorySwap": self.limits["memory_swap"],
            "NanoCpus": self.limits["nano_cpus"],
            "PidsLimit": self.params["pids_limit"],
            "RestartPolicy": {"Name": self.params["restart_policy"], "MaximumRetryCount": 0},
            "LogConfig": {"Type": BASELINE["log_driver"], "Config": dict(BASELINE["log_options"])},
            "PortBindings": bindings,
            "Mounts": self.mounts(service),
        }

    def spec(self, service: dict, image: dict | None) -> dict:
        """The canonical settings of the service's container. The engine merges the
        image's env and labels into a container's, so the wanted side does too."""
        config = (image or {}).get("Config") or {}
        env = dict(item.split("=", 1) for item in config.get("Env") or [] if "=" in item)
        env.update(self.environment(service))
        labels = dict(config.get("Labels") or {})
        labels.update(self.labels(service))
        return normalize_container(
            {
                "Image": image["Id"] if image else f"{self.image_tag(service)} (to be built)",
                "Config": {
                    "Cmd": service["command"] or config.get("Cmd"),
                    "User": self.params["user"],
                    "Env": [f"{k}={v}" for k, v in env.items()],
                    "Labels": labels,
                    "Healthcheck": self.healthcheck(service, image),
                },
                "HostConfig": self.host_config(service),
                "NetworkSettings": {"Networks": {self.params["network"]: {}}},
            }
        )
