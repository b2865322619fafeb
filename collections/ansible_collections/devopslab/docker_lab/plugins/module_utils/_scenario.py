# Copyright: DevOpsLab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The flask_scenario module's work: from a manifest to healthy containers.

The module builds the options and hands them here. ScenarioManager checks
everything first, then builds images, prepares the host, swaps containers
and waits for health, putting the previous containers back when that fails.
"""

from __future__ import annotations

import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.devopslab.docker_lab.plugins.module_utils import _containers as containers
from ansible_collections.devopslab.docker_lab.plugins.module_utils import _engine as engine
from ansible_collections.devopslab.docker_lab.plugins.module_utils import _health as health
from ansible_collections.devopslab.docker_lab.plugins.module_utils import _host as host
from ansible_collections.devopslab.docker_lab.plugins.module_utils import _settings as settings
from ansible_collections.devopslab.docker_lab.plugins.module_utils._manifest import (
    ManifestError,
    parse_manifest,
)
from ansible_collections.devopslab.docker_lab.plugins.module_utils._spec import (
    SPEC_KEYS,
    differences,
    normalize_container,
)
from ansible_collections.devopslab.docker_lab.plugins.module_utils._wanted import Wanted

try:
    import yaml

    HAS_YAML = True
except ImportError:
    HAS_YAML = False

PREVIOUS = "-previous"
# How long a rollback waits for an engine that went away (restarting) to answer again.
ENGINE_RETURN_TIMEOUT = 60


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
        self.wanted = None
        self.services = []
        self.warned = set()
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

    def check_options(self) -> dict:
        """Checks every option and the manifest; returns the memory limits in bytes."""
        params = self.params
        try:
            settings.check_identity(params)
            settings.check_limits(params)
            memory, swap = settings.memory_limits(params["memory"], params["memory_swap"])
            self.uid, self.gid = settings.user_ids(params["user"])
            ports, env = {}, {}
            if params["state"] != "absent" or params["src"]:
                self.services = self.load_manifest()["services"]
                ports = settings.port_overrides(params["ports"], self.services)
                env = settings.environment(
                    params["env"], self.env_file_entries(), params["env_file"]
                )
        except settings.OptionError as exc:
            raise Failure(str(exc)) from None
        limits = {"memory": memory, "memory_swap": swap, "nano_cpus": 0}
        self.wanted = Wanted(params, limits, ports, env, self.apparmor)
        return limits

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
        available = int(self.api.info().get("NCPU") or 1)
        try:
            self.wanted.limits["nano_cpus"] = settings.nano_cpus(self.params["cpus"], available)
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
                f"{bridge or '(chosen by the engine)'}, not network_bridge {wanted}; "
                "remove that network or set network_bridge to match"
            )

    def check_name_free(self, name: str) -> None:
        existing = engine.inspect_container(self.api, name)
        labels = ((existing or {}).get("Config") or {}).get("Labels") or {}
        owner = labels.get("devopslab.scenario", "unset")
        if existing and owner != self.params["name"]:
            raise Failure(
                f"a container named {name} exists and is not part of scenario "
                f"{self.params['name']} (label devopslab.scenario={owner}); remove it first "
                "(docker rm -f) or rename the service's container_name in the manifest"
            )

    def check_ports_free(self) -> None:
        ours = {s["container_name"] for s in self.services}
        ours |= {name + PREVIOUS for name in ours}
        held = self.ports_of_other_containers(ours)
        ours_now = self.ports_of_our_containers(ours)
        for service in self.services:
            port = self.wanted.publish(service)
            if port is None:
                continue
            source = (
                "ports"
                if service["name"] in self.wanted.ports
                else f"src scenario.yml ({service['name']}.publish)"
            )
            if port in held:
                raise Failure(
                    f"{source}: host port {port} is already published by container {held[port]}"
                )
            if port not in ours_now and host.port_in_use(self.params["bind_address"], port):
                raise Failure(
                    f"{source}: host port {port} on {self.params['bind_address']} is already "
                    "in use on the target; choose another port with the ports option"
                )

    def ports_of_other_containers(self, ours: set) -> dict[int, str]:
        held = {}
        for container in self.api.containers(all=False):
            name = (container.get("Names") or ["/?"])[0].lstrip("/")
            if name not in ours:
                held.update(
                    {
                        int(p["PublicPort"]): name
                        for p in container.get("Ports") or []
                        if p.get("PublicPort")
                    }
                )
        return held

    def ports_of_our_containers(self, ours: set) -> set[int]:
        held = set()
        for name in ours:
            inspect = engine.inspect_container(self.api, name)
            if inspect and inspect["State"].get("Running"):
                for bindings in (inspect["HostConfig"].get("PortBindings") or {}).values():
                    held |= {int(b["HostPort"]) for b in bindings or [] if b.get("HostPort")}
        return held

    # --- AppArmor --------------------------------------------------------------------------

    def apparmor(self, container_name: str) -> str:
        """The profile a container runs with: the asked one when loaded, else docker-default."""
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
        if message not in self.warned:
            self.warned.add(message)
            self.module.warn(message)

    # --- images and the host around the containers -------------------------------------------

    def prepare_image(self, service: dict) -> dict | None:
        """The service's image, built when its tag is missing or its context changed."""
        tag = self.wanted.image_tag(service)
        base = self.params["base_image"]
        base_image = engine.inspect_image(self.api, base) if base else None
        inputs = {"base_image": base or "", "base_image_id": (base_image or {}).get("Id", "")}
        context_hash = engine.context_hash(service["build"], inputs)
        image = engine.inspect_image(self.api, tag)
        labels = ((image or {}).get("Config") or {}).get("Labels") or {}
        if image and labels.get(engine.CONTEXT_LABEL) == context_hash:
            return image
        self.result["built"].append(tag)
        if self.check_mode:
            return None
        buildargs = {"BASE_IMAGE": base} if base else {}
        labels = {engine.CONTEXT_LABEL: context_hash}
        engine.build_image(self.api, service["build"], tag, buildargs, labels)
        return engine.inspect_image(self.api, tag)

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
        name, check = service["container_name"], self.check_mode
        changed = False
        if service["log_dir"]:
            log_root = self.params["log_root"]
            changed |= host.make_missing_directory(log_root, 0o755, check)
            path = os.path.join(log_root, name)
            changed |= host.ensure_directory(path, self.uid, self.gid, 0o750, check)
        if service["secrets"]:
            directory = os.path.join(self.params["secrets_root"], name)
            changed |= host.make_missing_directory(self.params["secrets_root"], 0o755, check)
            changed |= host.ensure_directory(directory, 0, self.gid, 0o750, check)
            for secret in service["secrets"]:
                changed |= host.ensure_secret(os.path.join(directory, secret), self.gid, check)
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
            labels = {"devopslab.scenario": self.params["name"]}
            self.api.create_volume(name=volume, driver="local", labels=labels)
        return True

    # --- containers ---------------------------------------------------------------------------

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
            wanted = self.wanted.spec(service, image)
            current = engine.inspect_container(self.api, service["container_name"])
            actual = normalize_container(current) if current else None
            differs = differences(wanted, actual)
            steps.append(
                {
                    "service": service,
                    "image": image,
                    "wanted": wanted,
                    "current": current,
                    "actual": actual,
                    "differs": differs,
                }
            )
        return steps

    def record_change(self, step: dict) -> None:
        name = step["service"]["container_name"]
        actual = step["actual"] or {}
        keys = step["differs"] if actual else SPEC_KEYS
        self.result["diff"]["before"][name] = {k: actual[k] for k in keys if k in actual}
        self.result["diff"]["after"][name] = {k: step["wanted"].get(k) for k in keys}
        self.result["recreated"].append(name)
        self.result["changed"] = True

    def replace(self, step: dict) -> dict | None:
        """Swap in a new container; the old one is stopped and kept as <name>-previous."""
        service, old = step["service"], step["current"]
        name = service["container_name"]
        if old:
            self.api.stop(old["Id"], timeout=10)
            self.api.rename(old["Id"], name + PREVIOUS)
        if service["data_dir"]:
            volume = f"{name}-data"
            fixed = containers.hand_volume_to(
                self.api, step["image"]["Id"], volume, service["data_dir"], self.uid, self.gid
            )
            self.result["ownership_fixed"] += [f"{volume}:{path}" for path in fixed]
        containers.create_and_start(self.api, self.wanted, service, step["image"])
        return old

    def apply(self, steps: list[dict]) -> None:
        """Replace what differs, wait for health, and roll back when that fails."""
        replaced = []
        name = steps[0]["service"]["container_name"]
        try:
            for step in steps:
                name = step["service"]["container_name"]
                if step["differs"]:
                    # Recorded before the swap starts, so a swap cut short is rolled back too.
                    replaced.append((step, step["current"]))
                    self.replace(step)
                elif not step["current"]["State"].get("Running"):
                    self.api.start(step["current"]["Id"])
                    self.result["changed"] = True
            problem = self.wait_healthy()
        except (engine.DockerException, engine.EngineError, OSError) as exc:
            problem = {"container": name, "error": str(exc)}
        olds = [old for step, old in replaced if old]
        if problem and self.params["rollback"] and olds:
            try:
                self.roll_back(replaced)
            except (engine.DockerException, engine.EngineError, OSError) as exc:
                problem["rollback_error"] = str(exc)
        else:
            for old in olds:
                self.api.remove_container(old["Id"], force=True)
        if problem:
            raise Failure(self.failure_message(problem), **problem)

    def failure_message(self, problem: dict) -> str:
        if problem.get("error"):
            detail = problem["error"]
        elif problem.get("health") == "unhealthy":
            detail = "its health check failed (unhealthy)"
        else:
            detail = "not healthy within health_timeout"
        if problem.get("rollback_error"):
            what = f"the rollback failed too: {problem['rollback_error']}"
        elif self.result["rolled_back"]:
            what = "rolled back to the previous containers"
        else:
            what = "no rollback"
        timeout = self.params["health_timeout"]
        return f"{problem['container']}: {detail} ({what}, health_timeout={timeout}s)"

    def roll_back(self, replaced: list) -> None:
        """Put each old container back under its name, whatever point its swap reached."""
        engine.wait_for_engine(self.api, ENGINE_RETURN_TIMEOUT)
        for step, old in reversed(replaced):
            name = step["service"]["container_name"]
            holder = engine.inspect_container(self.api, name)
            if holder and not (old and holder["Id"] == old["Id"]):
                self.api.remove_container(holder["Id"], force=True)
            if old and not (holder and holder["Id"] == old["Id"]):
                self.api.rename(old["Id"], name)
        for old in (old for step, old in replaced if old):
            self.api.start(old["Id"])
        self.result["rolled_back"] = True
        self.wait_healthy()

    def wait_healthy(self) -> dict | None:
        """None when every container is healthy in time, else what went wrong with the first."""
        deadline = time.monotonic() + self.params["health_timeout"]
        for service in self.services:
            url = self.wanted.probe_url(service)
            problem = health.wait_healthy(self.api, service["container_name"], url, deadline)
            if problem:
                return problem
        return None

    def scenario_containers(self) -> list[dict]:
        label = f"devopslab.scenario={self.params['name']}"
        return self.api.containers(all=True, filters={"label": label})

    def remove_orphans(self) -> None:
        wanted = {s["container_name"] for s in self.services}
        for container in self.scenario_containers():
            name = container["Names"][0].lstrip("/")
            if name not in wanted and not name.endswith(PREVIOUS):
                self.remove(container["Id"], name)

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
                self.record_change(step)
        self.remove_orphans()
        if not self.check_mode:
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
            label = f"devopslab.scenario={self.params['name']}"
            for volume in (self.api.volumes(filters={"label": label}) or {}).get("Volumes") or []:
                self.result["changed"] = True
                self.result["removed"].append(f"volume {volume['Name']}")
                if not self.check_mode:
                    self.api.remove_volume(volume["Name"])

    def report(self) -> None:
        found = (engine.inspect_container(self.api, s["container_name"]) for s in self.services)
        self.result["containers"] = [
            engine.container_summary(inspect) for inspect in found if inspect
        ]
        self.result["urls"] = [url for url in map(self.wanted.url, self.services) if url]

    def run(self) -> dict:
        self.check_options()
        self.api = engine.connect(self.params["docker_host"])
        try:
            getattr(self, self.params["state"])()
        finally:
            if self.params["state"] != "absent":
                self.report()
        return self.result
