# Copyright: DevOpsLab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The flask_scenario module's work: from a manifest to healthy containers.

The module builds the options and hands them here. ScenarioManager checks
everything first, then builds images, prepares the host, swaps containers
and waits for health, putting the previous containers back when that fails.
"""

from __future__ import annotations

import calendar
import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url
from ansible_collections.devopslab.docker_lab.plugins.module_utils import _engine as engine
from ansible_collections.devopslab.docker_lab.plugins.module_utils import _host as host
from ansible_collections.devopslab.docker_lab.plugins.module_utils import _settings as settings
from ansible_collections.devopslab.docker_lab.plugins.module_utils._manifest import (
    ManifestError,
    parse_manifest,
)
from ansible_collections.devopslab.docker_lab.plugins.module_utils._spec import (
    SPEC_KEYS,
    differences,
    healthcheck,
    normalize_container,
)
from ansible_collections.devopslab.docker_lab.plugins.module_utils.hardening import BASELINE

try:
    import yaml

    HAS_YAML = True
except ImportError:
    HAS_YAML = False

try:
    from docker.types import LogConfig, Mount
except ImportError:
    pass  # reported by main() through engine.HAS_DOCKER

PREVIOUS = "-previous"
# The health check for an image without one: GET the service's health_path inside the
# container with the image's own python3; exit 0 only on HTTP 200.
HTTP_PROBE = (
    "import http.client, sys; "
    "c = http.client.HTTPConnection('127.0.0.1', int(sys.argv[1]), timeout=4); "
    "c.request('GET', sys.argv[2]); sys.exit(c.getresponse().status != 200)"
)
NS = 1_000_000_000


class Failure(Exception):
    """Ends the run with fail_json; extra holds structured details."""

    def __init__(self, message: str, **extra):
        super().__init__(message)
        self.extra = extra


class ScenarioManager:
    """Works out what the scenario needs, then makes it so, or reports it in check mode."""

    def __init__(self, module: AnsibleModule):
        self.module = module
        self.params = module.params
        self.check_mode = module.check_mode
        self.api = None
        self.services = []
        self.env = {}
        self.result = {
            "changed": False,
            "containers": [],
            "urls": [],
            "built": [],
            "recreated": [],
            "removed": [],
            "ownership_fixed": [],
            "rolled_back": False,
            "diff": {"before": {}, "after": {}},
        }

    # --- checks, all before any change -------------------------------------------------

    def check_options(self) -> None:
        params = self.params
        try:
            settings.check_identity(params)
            settings.check_limits(params)
            self.memory, self.memory_swap = settings.memory_limits(
                params["memory"], params["memory_swap"]
            )
            self.uid, self.gid = settings.user_ids(params["user"])
            if params["state"] != "absent" or params["src"]:
                self.services = self.load_manifest()["services"]
                self.ports = settings.port_overrides(params["ports"], self.services)
                self.env = settings.environment(
                    params["env"], self.env_file_entries(), params["env_file"]
                )
        except settings.OptionError as exc:
            raise Failure(str(exc)) from None

    def load_manifest(self) -> dict:
        src = self.params["src"]
        if not src:
            raise Failure(
                f"src is required with state={self.params['state']}: the scenario's directory"
            )
        path = os.path.join(src, "scenario.yml")
        if not os.path.isfile(path):
            raise Failure(
                f"src must be a scenario directory holding scenario.yml; {path} does not exist "
                f"(unknown scenario {self.params['name']!r}?)"
            )
        try:
            with open(path, encoding="utf-8") as handle:
                return parse_manifest(src, yaml.safe_load(handle))
        except (ManifestError, yaml.YAMLError) as exc:
            raise Failure(f"src: {path}: {exc}") from None

    def env_file_entries(self) -> list:
        path = self.params["env_file"]
        if not path:
            return []
        try:
            return host.read_env_file(path)
        except (OSError, UnicodeDecodeError) as exc:
            raise Failure(f"env_file {path} cannot be read: {exc}") from None

    def check_engine(self) -> None:
        info = self.api.info()
        try:
            self.nano_cpus = settings.nano_cpus(self.params["cpus"], int(info.get("NCPU") or 1))
        except settings.OptionError as exc:
            raise Failure(str(exc)) from None
        self.check_network()
        for service in self.services:
            self.check_name_free(service["container_name"])
        self.check_ports_free()

    def check_network(self) -> None:
        network = self.inspect_network()
        wanted = self.params["network_bridge"]
        if network is None:
            return
        bridge = (network.get("Options") or {}).get("com.docker.network.bridge.name")
        if bridge != wanted:
            raise Failure(
                f"network {self.params['network']} exists with bridge "
                f"{bridge or '(chosen by the engine)'}, "
                f"not network_bridge {wanted}; remove that network or set network_bridge to match"
            )

    def check_name_free(self, name: str) -> None:
        existing = engine.inspect_container(self.api, name)
        labels = ((existing or {}).get("Config") or {}).get("Labels") or {}
        if existing and labels.get("devopslab.scenario") != self.params["name"]:
            raise Failure(
                f"a container named {name} exists and is not part of scenario "
                f"{self.params['name']} (label devopslab.scenario="
                f"{labels.get('devopslab.scenario', 'unset')}); remove it "
                "first (docker rm -f) or rename the service's container_name in the manifest"
            )

    def check_ports_free(self) -> None:
        ours = {s["container_name"] for s in self.services}
        ours |= {name + PREVIOUS for name in ours}
        held = self.ports_of_other_containers(ours)
        ours_now = self.ports_of_our_containers(ours)
        for service in self.services:
            port = self.publish(service)
            if port is None:
                continue
            source = (
                "ports"
                if service["name"] in self.ports
                else f"src scenario.yml ({service['name']}.publish)"
            )
            if port in held:
                raise Failure(
                    f"{source}: host port {port} is already published by container {held[port]}"
                )
            if port not in ours_now and host.port_in_use(self.params["bind_address"], port):
                raise Failure(
                    f"{source}: host port {port} on {self.params['bind_address']} "
                    "is already in use "
                    "on the target; choose another port with the ports option"
                )

    def ports_of_other_containers(self, ours: set) -> dict[int, str]:
        held = {}
        for container in self.api.containers(all=False):
            name = (container.get("Names") or ["/?"])[0].lstrip("/")
            if name in ours:
                continue
            for port in container.get("Ports") or []:
                if port.get("PublicPort"):
                    held[int(port["PublicPort"])] = name
        return held

    def ports_of_our_containers(self, ours: set) -> set[int]:
        held = set()
        for name in ours:
            inspect = engine.inspect_container(self.api, name)
            if inspect and inspect["State"].get("Running"):
                for bindings in (inspect["HostConfig"].get("PortBindings") or {}).values():
                    held |= {int(b["HostPort"]) for b in bindings or [] if b.get("HostPort")}
        return held

    # --- what is wanted ---------------------------------------------------------------------

    def publish(self, service: dict) -> int | None:
        if service["name"] in self.ports:
            return self.ports[service["name"]] if service["port"] else None
        return service["publish"]

    def image_tag(self, service: dict) -> str:
        return f"{self.params['image_prefix']}/{service['container_name']}:{self.params['version']}"

    def context_hash(self, service: dict) -> str:
        base = self.params["base_image"]
        base_image = engine.inspect_image(self.api, base) if base else None
        extra = {"base_image": base or "", "base_image_id": (base_image or {}).get("Id", "")}
        return engine.context_hash(service["build"], extra)

    def prepare_image(self, service: dict) -> dict | None:
        """The service's image, built when its tag is missing or its context changed."""
        tag = self.image_tag(service)
        wanted = self.context_hash(service)
        image = engine.inspect_image(self.api, tag)
        labels = ((image or {}).get("Config") or {}).get("Labels") or {}
        if image and labels.get(engine.CONTEXT_LABEL) == wanted:
            return image
        self.result["built"].append(tag)
        if self.check_mode:
            return None
        buildargs = {"BASE_IMAGE": self.params["base_image"]} if self.params["base_image"] else {}
        engine.build_image(
            self.api, service["build"], tag, buildargs, {engine.CONTEXT_LABEL: wanted}
        )
        return engine.inspect_image(self.api, tag)

    def security_options(self, container_name: str) -> list[str]:
        options = ["no-new-privileges"] if self.params["no_new_privileges"] else []
        return sorted(options + [f"apparmor={self.apparmor(container_name)}"])

    def apparmor(self, container_name: str) -> str:
        profile = self.params["apparmor_profile"]
        if not profile:
            return "docker-default"
        wanted = profile.replace("{container}", container_name)
        loaded = host.loaded_apparmor_profiles()
        if loaded is not None and wanted in loaded:
            return wanted
        if loaded is None:
            self.warn_once(
                "This host's kernel has no AppArmor, so the engine ignores apparmor= options: "
                "apparmor_profile is not applied"
            )
        else:
            self.warn_once(
                f"AppArmor profile {wanted} is not loaded on this host; {container_name} runs with "
                "docker-default (load it with devopslab.docker_lab.apparmor_profile first)"
            )
        return "docker-default"

    def warn_once(self, message: str) -> None:
        if message not in getattr(self, "_warned", set()):
            self._warned = getattr(self, "_warned", set()) | {message}
            self.module.warn(message)

    def service_env(self, service: dict) -> dict[str, str]:
        env = {}
        if service["port"]:
            env["PORT"] = str(service["port"])
        for secret in service["secrets"]:
            env[f"{secret.upper()}_FILE"] = f"/run/secrets/{secret}"
        env.update(service["env"])
        env.update(self.env)
        return env

    def mounts(self, service: dict) -> list[dict]:
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
            mounts.append(
                {
                    "Type": "bind",
                    "Source": source,
                    "Target": f"/run/secrets/{secret}",
                    "ReadOnly": True,
                }
            )
        return mounts

    def health_config(self, service: dict, image: dict | None) -> dict | None:
        own = ((image or {}).get("Config") or {}).get("Healthcheck")
        if own and own.get("Test") and own["Test"] != ["NONE"]:
            return own
        if not (service["port"] and service["health_path"]):
            return own
        return {
            "Test": [
                "CMD",
                "python3",
                "-c",
                HTTP_PROBE,
                str(service["port"]),
                service["health_path"],
            ],
            "Interval": 5 * NS,
            "Timeout": 5 * NS,
            "Retries": 3,
            "StartPeriod": 15 * NS,
        }

    def wanted_spec(self, service: dict, image: dict | None) -> dict:
        """The canonical settings of the service's container, as _spec normalizes them."""
        config = (image or {}).get("Config") or {}
        env = dict(item.split("=", 1) for item in config.get("Env") or [] if "=" in item)
        env.update(self.service_env(service))
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
                    "Healthcheck": self.health_config(service, image),
                },
                "HostConfig": self.host_config_fields(service),
                "NetworkSettings": {"Networks": {self.params["network"]: {}}},
            }
        )

    def host_config_fields(self, service: dict) -> dict:
        publish = self.publish(service)
        bindings = {}
        if publish is not None:
            bindings[f"{service['port']}/tcp"] = [
                {"HostIp": self.params["bind_address"], "HostPort": str(publish)}
            ]
        return {
            "ReadonlyRootfs": self.params["read_only"],
            "Tmpfs": dict(BASELINE["tmpfs"]),
            "CapDrop": list(BASELINE["cap_drop"]),
            "CapAdd": list(self.params["cap_add"]),
            "SecurityOpt": self.security_options(service["container_name"]),
            "Memory": self.memory,
            "MemorySwap": self.memory_swap,
            "NanoCpus": self.nano_cpus,
            "PidsLimit": self.params["pids_limit"],
            "RestartPolicy": {"Name": self.params["restart_policy"]},
            "LogConfig": {"Type": BASELINE["log_driver"], "Config": dict(BASELINE["log_options"])},
            "PortBindings": bindings,
            "Mounts": self.mounts(service),
        }

    def labels(self, service: dict) -> dict[str, str]:
        return {
            "devopslab.scenario": self.params["name"],
            "devopslab.service": service["name"],
            "devopslab.version": self.params["version"],
        }

    # --- the host around the containers ------------------------------------------------------

    def inspect_network(self) -> dict | None:
        try:
            return self.api.inspect_network(self.params["network"])
        except engine.NotFound:
            return None

    def ensure_network(self) -> None:
        if self.inspect_network() is not None:
            return
        self.result["changed"] = True
        if not self.check_mode:
            self.api.create_network(
                self.params["network"],
                driver="bridge",
                options={"com.docker.network.bridge.name": self.params["network_bridge"]},
                labels={"devopslab.managed": "true"},
            )

    def ensure_host_paths(self, service: dict) -> None:
        name = service["container_name"]
        changed = False
        if service["log_dir"]:
            log_root = self.params["log_root"]
            changed |= host.make_missing_directory(log_root, 0o755, self.check_mode)
            path = os.path.join(log_root, name)
            changed |= host.ensure_directory(path, self.uid, self.gid, 0o750, self.check_mode)
        if service["secrets"]:
            root = self.params["secrets_root"]
            changed |= host.make_missing_directory(root, 0o755, self.check_mode)
            directory = os.path.join(root, name)
            changed |= host.ensure_directory(directory, 0, self.gid, 0o750, self.check_mode)
            for secret in service["secrets"]:
                path = os.path.join(directory, secret)
                changed |= host.ensure_secret(path, self.gid, self.check_mode)
        if service["data_dir"]:
            changed |= self.ensure_volume(f"{name}-data")
        self.result["changed"] |= changed

    def ensure_volume(self, volume: str) -> bool:
        try:
            self.api.inspect_volume(volume)
            return False
        except engine.NotFound:
            pass
        if not self.check_mode:
            self.api.create_volume(
                name=volume, driver="local", labels={"devopslab.scenario": self.params["name"]}
            )
        return True

    def fix_ownership(self, service: dict, image_id: str) -> None:
        """Hand the data volume to the app's user with a helper that can do nothing else."""
        volume, target = f"{service['container_name']}-data", service["data_dir"]
        owner = f"{self.uid}:{self.gid}"
        host_config = self.api.create_host_config(
            mounts=[Mount(target, volume, type="volume")],
            network_mode="none",
            cap_drop=["ALL"],
            cap_add=["CHOWN", "DAC_OVERRIDE"],
            security_opt=["no-new-privileges"],
            read_only=True,
            mem_limit="64m",
            pids_limit=32,
        )
        command = [
            target,
            "-xdev",
            "(",
            "!",
            "-uid",
            str(self.uid),
            "-o",
            "!",
            "-gid",
            str(self.gid),
            ")",
            "-print",
            "-exec",
            "chown",
            "-h",
            owner,
            "{}",
            "+",
        ]
        helper = self.api.create_container(
            image_id,
            command=command,
            entrypoint=["find"],
            user="0:0",
            host_config=host_config,
            labels={"devopslab.helper": "ownership"},
            network_disabled=True,
        )
        try:
            self.api.start(helper)
            status = self.api.wait(helper, timeout=120)
            output = self.api.logs(helper, stdout=True, stderr=True).decode("utf-8", "replace")
        finally:
            self.api.remove_container(helper, force=True)
        code = status.get("StatusCode") if isinstance(status, dict) else status
        if code != 0:
            raise engine.EngineError(f"handing {volume} to {owner} failed: {output.strip()[-500:]}")
        self.result["ownership_fixed"] += [
            f"{volume}:{line}" for line in output.splitlines() if line
        ]

    # --- containers ---------------------------------------------------------------------------

    def create_container(self, service: dict, image: dict) -> str:
        spec_host = self.host_config_fields(service)
        name = service["container_name"]
        port_bindings = {
            int(port.split("/")[0]): (b[0]["HostIp"], int(b[0]["HostPort"]))
            for port, b in spec_host["PortBindings"].items()
        }
        mounts = [
            Mount(m["Target"], m["Source"], type=m["Type"], read_only=m.get("ReadOnly", False))
            for m in spec_host["Mounts"]
        ]
        host_config = self.api.create_host_config(
            mounts=mounts,
            port_bindings=port_bindings,
            read_only=spec_host["ReadonlyRootfs"],
            tmpfs=spec_host["Tmpfs"],
            cap_drop=spec_host["CapDrop"],
            cap_add=spec_host["CapAdd"] or None,
            security_opt=spec_host["SecurityOpt"],
            mem_limit=self.memory,
            memswap_limit=self.memory_swap,
            nano_cpus=self.nano_cpus,
            pids_limit=self.params["pids_limit"],
            restart_policy={"Name": self.params["restart_policy"], "MaximumRetryCount": 0},
            log_config=LogConfig(type=BASELINE["log_driver"], config=dict(BASELINE["log_options"])),
            network_mode=self.params["network"],
        )
        networking = self.api.create_networking_config(
            {self.params["network"]: self.api.create_endpoint_config()}
        )
        health = self.health_config(service, image)
        created = self.api.create_container(
            self.image_tag(service),
            command=service["command"],
            name=name,
            user=self.params["user"],
            environment=self.service_env(service),
            labels=self.labels(service),
            ports=list(port_bindings) or None,
            host_config=host_config,
            networking_config=networking,
            healthcheck=_sdk_healthcheck(health) if health else None,
            detach=True,
        )
        self.api.start(created["Id"])
        return created["Id"]

    def clear_leftovers(self, service: dict) -> None:
        """A -previous container left by an interrupted run goes back or goes away."""
        name = service["container_name"]
        previous = engine.inspect_container(self.api, name + PREVIOUS)
        if previous is None or self.check_mode:
            return
        if engine.inspect_container(self.api, name) is None:
            self.api.rename(previous["Id"], name)
        else:
            self.api.remove_container(previous["Id"], force=True)
        self.result["changed"] = True

    def plan(self) -> list[dict]:
        """For each service: its image, what is wanted, what runs, and what differs."""
        steps = []
        for service in self.services:
            self.clear_leftovers(service)
            image = self.prepare_image(service)
            wanted = self.wanted_spec(service, image)
            current = engine.inspect_container(self.api, service["container_name"])
            actual = normalize_container(current) if current else None
            steps.append(
                {
                    "service": service,
                    "image": image,
                    "wanted": wanted,
                    "current": current,
                    "differs": differences(wanted, actual),
                    "actual": actual,
                }
            )
        return steps

    def record_diff(self, step: dict) -> None:
        name = step["service"]["container_name"]
        actual = step["actual"] or {}
        keys = step["differs"] if actual else SPEC_KEYS
        self.result["diff"]["before"][name] = {k: actual[k] for k in keys if k in actual}
        self.result["diff"]["after"][name] = {k: step["wanted"].get(k) for k in keys}

    def replace(self, step: dict) -> dict | None:
        """Swap in a new container; the old one is stopped and kept as <name>-previous."""
        service, name = step["service"], step["service"]["container_name"]
        old = step["current"]
        if old:
            self.api.stop(old["Id"], timeout=10)
            self.api.rename(old["Id"], name + PREVIOUS)
        if service["data_dir"]:
            self.fix_ownership(service, step["image"]["Id"])
        self.create_container(service, step["image"])
        return old

    def apply(self, steps: list[dict]) -> None:
        replaced = []
        name = steps[0]["service"]["container_name"]
        try:
            for step in steps:
                name = step["service"]["container_name"]
                if step["differs"]:
                    replaced.append((step, self.replace(step)))
                elif not step["current"]["State"].get("Running"):
                    self.api.start(step["current"]["Id"])
                    self.result["changed"] = True
            problem = self.wait_healthy()
        except (engine.DockerException, engine.EngineError) as exc:
            problem = {"container": name, "error": str(exc)}
        if problem is None:
            self.drop_previous(replaced)
            return
        if self.params["rollback"] and any(old for step, old in replaced):
            self.roll_back(replaced)
        else:
            self.drop_previous(replaced)
        raise Failure(self.failure_message(problem), **problem)

    def failure_message(self, problem: dict) -> str:
        what = (
            "rolled back to the previous containers"
            if self.result["rolled_back"]
            else "no rollback"
        )
        detail = problem.get("error") or (
            "its health check failed (unhealthy)"
            if problem.get("health") == "unhealthy"
            else "not healthy within health_timeout"
        )
        timeout = self.params["health_timeout"]
        return f"{problem['container']}: {detail} ({what}, health_timeout={timeout}s)"

    def drop_previous(self, replaced: list) -> None:
        for old in (old for step, old in replaced if old):
            self.api.remove_container(old["Id"], force=True)

    def roll_back(self, replaced: list) -> None:
        for step, old in reversed(replaced):
            name = step["service"]["container_name"]
            if engine.inspect_container(self.api, name):
                self.api.remove_container(name, force=True)
            if old:
                self.api.rename(old["Id"], name)
        for old in (old for step, old in replaced if old):
            self.api.start(old["Id"])
        self.result["rolled_back"] = True
        self.wait_healthy()

    def wait_healthy(self) -> dict | None:
        """None when every container is healthy in time, else what went wrong with the first."""
        deadline = time.monotonic() + self.params["health_timeout"]
        for service in self.services:
            problem = self.wait_one(service, deadline)
            if problem:
                return problem
        return None

    def wait_one(self, service: dict, deadline: float) -> dict | None:
        name = service["container_name"]
        inspect = engine.inspect_container(self.api, name) or {}
        while True:
            state = _health_state(inspect)
            if state == "healthy" and self.answers_http(service):
                return None
            if state == "unhealthy" or time.monotonic() > deadline:
                return {
                    "container": name,
                    "health": state,
                    "health_log": engine.health_log(inspect),
                    "logs": engine.container_logs(self.api, name),
                }
            time.sleep(1)
            inspect = engine.inspect_container(self.api, name) or {}

    def answers_http(self, service: dict) -> bool:
        port = self.publish(service)
        if port is None or not service["health_path"]:
            return True
        url = f"http://{self.probe_address()}:{port}{service['health_path']}"
        try:
            return open_url(url, timeout=3, validate_certs=False).getcode() == 200
        except (OSError, ValueError):
            return False

    def probe_address(self) -> str:
        address = self.params["bind_address"]
        return {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(address, address)

    def remove_orphans(self) -> None:
        wanted = {s["container_name"] for s in self.services}
        for container in self.scenario_containers():
            name = container["Names"][0].lstrip("/")
            if name not in wanted and not name.endswith(PREVIOUS):
                self.remove(container["Id"], name)

    def scenario_containers(self) -> list[dict]:
        return self.api.containers(
            all=True, filters={"label": f"devopslab.scenario={self.params['name']}"}
        )

    def remove(self, container_id: str, name: str) -> None:
        self.result["changed"] = True
        self.result["removed"].append(name)
        self.result["diff"]["before"][name] = "present"
        self.result["diff"]["after"][name] = "absent"
        if not self.check_mode:
            self.api.remove_container(container_id, force=True)

    # --- the three states ------------------------------------------------------------------------

    def present(self) -> None:
        self.check_engine()
        self.ensure_network()
        for service in self.services:
            self.ensure_host_paths(service)
        steps = self.plan()
        self.result["changed"] |= bool(self.result["built"])
        for step in steps:
            if step["differs"]:
                self.record_diff(step)
                self.result["recreated"].append(step["service"]["container_name"])
                self.result["changed"] = True
        self.remove_orphans()
        if self.check_mode:
            return
        self.apply(steps)

    def restarted(self) -> None:
        self.present()
        self.result["changed"] = True
        if self.check_mode:
            return
        for service in self.services:
            if service["container_name"] not in self.result["recreated"]:
                self.api.restart(service["container_name"], timeout=10)
        problem = self.wait_healthy()
        if problem:
            raise Failure(f"{problem['container']}: not healthy after the restart", **problem)

    def absent(self) -> None:
        order = [s["container_name"] for s in self.services]
        found = {c["Names"][0].lstrip("/"): c["Id"] for c in self.scenario_containers()}
        # Reverse start order: a frontend goes before the backend it calls.
        for name in sorted(found, key=lambda n: order.index(n) if n in order else -1, reverse=True):
            self.remove(found[name], name)
        if self.params["remove_data"]:
            volumes = self.api.volumes(
                filters={"label": f"devopslab.scenario={self.params['name']}"}
            )
            for volume in (volumes or {}).get("Volumes") or []:
                self.result["changed"] = True
                self.result["removed"].append(f"volume {volume['Name']}")
                if not self.check_mode:
                    self.api.remove_volume(volume["Name"])

    def report(self) -> None:
        self.result["containers"] = [
            engine.container_summary(inspect)
            for inspect in (
                engine.inspect_container(self.api, s["container_name"]) for s in self.services
            )
            if inspect
        ]
        self.result["urls"] = [
            f"http://{self.probe_address()}:{self.publish(s)}/"
            for s in self.services
            if self.publish(s)
        ]

    def run(self) -> dict:
        self.check_options()
        self.api = engine.connect(self.params["docker_host"])
        try:
            getattr(self, self.params["state"])()
        finally:
            if self.params["state"] != "absent" and self.api is not None:
                self.report()
        return self.result


def _health_state(inspect: dict) -> str:
    """healthy, unhealthy or starting; a container without a health check counts as
    healthy once it has been running for two seconds without restarting."""
    state = inspect.get("State") or {}
    if not state.get("Running") or state.get("Restarting"):
        return "starting" if state.get("Status") in ("created", "restarting") else "unhealthy"
    health = state.get("Health")
    if health:
        return health.get("Status", "starting")
    return "healthy" if _running_for(state) >= 2 else "starting"


def _running_for(state: dict) -> float:
    started = str(state.get("StartedAt") or "")[:19]
    try:
        then = calendar.timegm(time.strptime(started, "%Y-%m-%dT%H:%M:%S"))
    except ValueError:
        return 0.0
    return time.time() - then


def _sdk_healthcheck(config: dict) -> dict:
    """The engine's Healthcheck fields in the SDK's spelling."""
    check = healthcheck(config)
    return {
        "test": check["test"],
        "interval": check["interval"],
        "timeout": check["timeout"],
        "retries": check["retries"],
        "start_period": check["start_period"],
    }
