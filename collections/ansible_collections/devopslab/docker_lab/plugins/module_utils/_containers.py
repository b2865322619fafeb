# Copyright: DevOpsLab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Creating a lab container through the SDK's low-level client, and the
short-lived helper that hands a data volume to the app's user."""

from __future__ import annotations

from ansible_collections.devopslab.docker_lab.plugins.module_utils import _engine as engine
from ansible_collections.devopslab.docker_lab.plugins.module_utils._spec import healthcheck

try:
    from docker.types import LogConfig, Mount
except ImportError:
    pass  # the modules report a missing SDK through _engine.HAS_DOCKER


def _sdk_mounts(mounts: list[dict]) -> list:
    return [
        Mount(m["Target"], m["Source"], type=m["Type"], read_only=m.get("ReadOnly", False))
        for m in mounts
    ]


def _sdk_healthcheck(config: dict | None) -> dict | None:
    check = healthcheck(config)
    if check is None:
        return None
    return {key: check[key] for key in ("test", "interval", "timeout", "retries", "start_period")}


def create_and_start(api, wanted, service: dict, image: dict) -> str:
    """Create the service's container as wanted says, start it, return its id."""
    fields = wanted.host_config(service)
    network = wanted.params["network"]
    port_bindings = {
        int(port.split("/")[0]): (binds[0]["HostIp"], int(binds[0]["HostPort"]))
        for port, binds in fields["PortBindings"].items()
    }
    log = fields["LogConfig"]
    host_config = api.create_host_config(
        mounts=_sdk_mounts(fields["Mounts"]),
        port_bindings=port_bindings,
        read_only=fields["ReadonlyRootfs"],
        tmpfs=fields["Tmpfs"],
        cap_drop=fields["CapDrop"],
        cap_add=fields["CapAdd"] or None,
        security_opt=fields["SecurityOpt"],
        mem_limit=fields["Memory"],
        memswap_limit=fields["MemorySwap"],
        nano_cpus=fields["NanoCpus"],
        pids_limit=fields["PidsLimit"],
        restart_policy=fields["RestartPolicy"],
        log_config=LogConfig(type=log["Type"], config=log["Config"]),
        network_mode=network,
    )
    created = api.create_container(
        wanted.image_tag(service),
        command=service["command"],
        name=service["container_name"],
        user=wanted.params["user"],
        environment=wanted.environment(service),
        labels=wanted.labels(service),
        ports=list(port_bindings) or None,
        host_config=host_config,
        networking_config=api.create_networking_config({network: api.create_endpoint_config()}),
        healthcheck=_sdk_healthcheck(wanted.healthcheck(service, image)),
        detach=True,
    )
    api.start(created["Id"])
    return created["Id"]


def hand_volume_to(api, image_id: str, volume: str, target: str, uid: int, gid: int) -> list[str]:
    """Make uid:gid own everything in volume; return the paths that changed.

    The helper runs find and chown from the app's own image as uid 0, with only the
    CHOWN and DAC_OVERRIDE capabilities (both in Docker's default set, so a nested
    engine can grant them), a read-only root filesystem and no network.
    """
    owner = f"{uid}:{gid}"
    host_config = api.create_host_config(
        mounts=[Mount(target, volume, type="volume")],
        network_mode="none",
        cap_drop=["ALL"],
        cap_add=["CHOWN", "DAC_OVERRIDE"],
        security_opt=["no-new-privileges"],
        read_only=True,
        mem_limit="64m",
        pids_limit=32,
    )
    not_owned = ["(", "!", "-uid", str(uid), "-o", "!", "-gid", str(gid), ")"]
    command = [target, "-xdev", *not_owned, "-print", "-exec", "chown", "-h", owner, "{}", "+"]
    helper = api.create_container(
        image_id,
        command=command,
        entrypoint=["find"],
        user="0:0",
        host_config=host_config,
        labels={"devopslab.helper": "ownership"},
        network_disabled=True,
    )
    try:
        api.start(helper)
        status = api.wait(helper, timeout=120)
        output = api.logs(helper, stdout=True, stderr=True).decode("utf-8", "replace")
    finally:
        api.remove_container(helper, force=True)
    code = status.get("StatusCode") if isinstance(status, dict) else status
    if code != 0:
        raise engine.EngineError(f"handing {volume} to {owner} failed: {output.strip()[-500:]}")
    return [line for line in output.splitlines() if line]
