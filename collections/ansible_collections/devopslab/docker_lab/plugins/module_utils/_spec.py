# Copyright: DevOpsLab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Container settings in one canonical shape, for what is wanted and what runs.

The engine rewrites some settings it is given (capability names, security
options, port bindings, memory units, the network mode), so both sides are
brought to the same shape before they are compared. The shape is also what
--diff shows.
"""

from __future__ import annotations

import re

_SIZE = re.compile(r"^([0-9]+)([bkmg]?)\Z", re.IGNORECASE)
_OPTION = re.compile(r"^([^:=]*)[:=]?(.*)$")
_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}

# The keys of a canonical spec, in the order --diff shows them.
SPEC_KEYS = (
    "image",
    "command",
    "user",
    "env",
    "labels",
    "read_only",
    "tmpfs",
    "cap_drop",
    "cap_add",
    "security_opt",
    "memory",
    "memory_swap",
    "nano_cpus",
    "pids_limit",
    "restart_policy",
    "log_driver",
    "log_options",
    "ports",
    "networks",
    "mounts",
    "healthcheck",
)


def parse_size(value: object) -> int | None:
    """Return a size such as 256m, 1g or 512 as bytes, or None when it is not one."""
    match = _SIZE.match(str(value).strip())
    if match is None:
        return None
    return int(match.group(1)) * _UNITS[match.group(2).lower()]


def env_dict(entries: list[str] | None) -> dict[str, str]:
    """Turn the engine's KEY=VALUE list into a dict."""
    result = {}
    for entry in entries or []:
        key, value = (entry.split("=", 1) + [""])[:2]
        result[key] = value
    return result


def capabilities(names: list[str] | None) -> list[str]:
    """Capability names without the CAP_ prefix, upper case, sorted."""
    return sorted({re.sub(r"^CAP_", "", name.upper()) for name in names or []})


def security_options(options: list[str] | None) -> list[str]:
    """Security options with the engine's spellings made one: key=value, sorted."""
    result = set()
    for option in options or []:
        key, value = _OPTION.match(option).groups()
        if key == "no-new-privileges" and value in ("", "true"):
            result.add("no-new-privileges")
        else:
            result.add(f"{key}={value}" if value else key)
    return sorted(result)


def port_bindings(bindings: dict | None) -> dict[str, list[str]]:
    """PortBindings as {"5100/tcp": ["127.0.0.1:5200"]}; an empty host address is 0.0.0.0."""
    result = {}
    for port, hosts in (bindings or {}).items():
        if not hosts:
            continue
        key = port if "/" in port else f"{port}/tcp"
        result[key] = sorted(
            f"{host.get('HostIp') or '0.0.0.0'}:{host.get('HostPort') or ''}" for host in hosts
        )
    return result


def mount_list(mounts: list[dict] | None) -> list[str]:
    """Mounts as sorted "type:source:target:ro|rw" strings."""
    return sorted(
        "{}:{}:{}:{}".format(
            mount.get("Type", "volume"),
            mount.get("Source", ""),
            mount.get("Target", ""),
            "ro" if mount.get("ReadOnly") else "rw",
        )
        for mount in mounts or []
    )


def healthcheck(config: dict | None) -> dict | None:
    """A health check with the engine's defaults (0) filled in, or None."""
    if not config or not config.get("Test"):
        return None
    return {
        "test": list(config["Test"]),
        "interval": int(config.get("Interval") or 0),
        "timeout": int(config.get("Timeout") or 0),
        "retries": int(config.get("Retries") or 0),
        "start_period": int(config.get("StartPeriod") or 0),
    }


def normalize_container(inspect: dict) -> dict:
    """The canonical spec of a container, from `docker inspect` output."""
    config = inspect.get("Config") or {}
    host = inspect.get("HostConfig") or {}
    log = host.get("LogConfig") or {}
    networks = (inspect.get("NetworkSettings") or {}).get("Networks") or {}
    return {
        "image": inspect.get("Image"),
        "command": list(config.get("Cmd") or []) or None,
        "user": config.get("User") or "",
        "env": env_dict(config.get("Env")),
        "labels": dict(config.get("Labels") or {}),
        "read_only": bool(host.get("ReadonlyRootfs")),
        "tmpfs": dict(host.get("Tmpfs") or {}),
        "cap_drop": capabilities(host.get("CapDrop")),
        "cap_add": capabilities(host.get("CapAdd")),
        "security_opt": security_options(host.get("SecurityOpt")),
        "memory": int(host.get("Memory") or 0),
        "memory_swap": int(host.get("MemorySwap") or 0),
        "nano_cpus": int(host.get("NanoCpus") or 0),
        "pids_limit": int(host.get("PidsLimit") or 0),
        "restart_policy": (host.get("RestartPolicy") or {}).get("Name") or "no",
        "log_driver": log.get("Type") or "",
        "log_options": dict(log.get("Config") or {}),
        "ports": port_bindings(host.get("PortBindings")),
        "networks": sorted(networks),
        "mounts": mount_list(host.get("Mounts")),
        "healthcheck": healthcheck(config.get("Healthcheck")),
    }


def differences(wanted: dict, actual: dict | None) -> list[str]:
    """The keys whose values differ; every key when there is no container."""
    if actual is None:
        return list(SPEC_KEYS)
    return [key for key in SPEC_KEYS if not _same(key, wanted.get(key), actual.get(key))]


def _same(key: str, wanted: object, actual: object) -> bool:
    # The engine merges its daemon-wide log options into a container's when both use
    # the same driver, so only the options asked for are compared.
    if key == "log_options" and isinstance(wanted, dict) and isinstance(actual, dict):
        return all(actual.get(k) == v for k, v in wanted.items())
    return wanted == actual
