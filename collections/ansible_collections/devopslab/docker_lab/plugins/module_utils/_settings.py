# Copyright: DevOpsLab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The flask_scenario options checked and turned into container settings.

Every message names the option and what it accepts. Nothing here touches the
host, so it all runs before anything changes.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.devopslab.docker_lab.plugins.module_utils._manifest import (
    ENV_NAME,
    ManifestError,
    env_strings,
    is_port,
)
from ansible_collections.devopslab.docker_lab.plugins.module_utils._spec import parse_size

SCENARIO_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}\Z")
IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\Z")
IMAGE_REPO = re.compile(r"^[a-z0-9]+([._/-][a-z0-9]+)*\Z")
USER = re.compile(r"^([0-9]+)(?::([0-9]+))?\Z")
PROFILE = re.compile(r"^[A-Za-z0-9_.{}/-]+\Z")
BRIDGE = re.compile(r"^[A-Za-z0-9_.-]{1,15}\Z")
CAPABILITY = re.compile(r"^(CAP_)?[A-Z_]+\Z")
MIN_MEMORY = 6 * 1024 * 1024


class OptionError(ValueError):
    """An option value the module cannot use; the message names the option."""


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise OptionError(message)


def check_identity(params: dict) -> None:
    """name, version, image_prefix, user."""
    _check(
        bool(SCENARIO_NAME.match(params["name"] or "")),
        "name must be a-z, 0-9, '_', '.' and '-' (a scenario such as scenario_0), "
        f"got {params['name']!r}",
    )
    _check(
        bool(IMAGE_TAG.match(params["version"] or "")),
        f"version must be a Docker image tag such as 1.2.0, got {params['version']!r}",
    )
    _check(
        bool(IMAGE_REPO.match(params["image_prefix"] or "")),
        "image_prefix must be a lower-case image repository prefix, "
        f"got {params['image_prefix']!r}",
    )
    _check(
        bool(USER.match(params["user"] or "")),
        f"user must be a numeric uid or uid:gid such as 10001:10001, got {params['user']!r}",
    )


def user_ids(user: str) -> tuple[int, int]:
    """The uid and gid of a uid[:gid] string; the gid defaults to the uid."""
    match = USER.match(user)
    uid = int(match.group(1))
    return uid, int(match.group(2) or uid)


def memory_limits(memory: str, memory_swap: str | None) -> tuple[int, int]:
    """The memory and memory+swap limits in bytes; swap defaults to none (equal to memory)."""
    limit = parse_size(memory)
    _check(
        limit is not None and limit >= MIN_MEMORY,
        f"memory must be a size of at least 6m such as 256m or 1g, got {memory!r}",
    )
    if memory_swap is None:
        return limit, limit
    if str(memory_swap).strip() == "-1":
        return limit, -1
    swap = parse_size(memory_swap)
    _check(
        swap is not None and swap >= limit,
        f"memory_swap must be -1 or a size no smaller than memory ({memory}), got {memory_swap!r}",
    )
    return limit, swap


def nano_cpus(cpus: float, available: int) -> int:
    """cpus as the engine's NanoCpus, within what the engine has."""
    _check(
        0.01 <= cpus <= available,
        f"cpus must be from 0.01 to {available} (the engine's CPUs), got {cpus}",
    )
    return int(round(cpus * 1e9))


def check_limits(params: dict) -> None:
    """pids_limit, health_timeout, bind_address, network names, capabilities, profile."""
    _check(
        params["pids_limit"] == -1 or params["pids_limit"] >= 1,
        f"pids_limit must be 1 or more, or -1 for no limit, got {params['pids_limit']}",
    )
    _check(
        params["health_timeout"] >= 1,
        f"health_timeout must be 1 or more seconds, got {params['health_timeout']}",
    )
    try:
        ipaddress.ip_address(params["bind_address"])
    except ValueError:
        raise OptionError(
            f"bind_address must be an IP address such as 127.0.0.1, got {params['bind_address']!r}"
        ) from None
    _check(
        bool(re.match(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$", params["network"] or "")),
        f"network must be a Docker network name, got {params['network']!r}",
    )
    _check(
        bool(BRIDGE.match(params["network_bridge"] or "")),
        "network_bridge must be a Linux interface name of 1 to 15 characters, "
        f"got {params['network_bridge']!r}",
    )
    bad_caps = [cap for cap in params["cap_add"] if not CAPABILITY.match(cap)]
    _check(
        not bad_caps, f"cap_add must list capability names such as NET_BIND_SERVICE, got {bad_caps}"
    )
    profile = params["apparmor_profile"]
    _check(
        profile is None or bool(PROFILE.match(profile)),
        "apparmor_profile must be a profile name (letters, digits, _ . - / and {container}), "
        f"got {profile!r}",
    )


def port_overrides(ports: dict, services: list[dict]) -> dict[str, int | None]:
    """The ports option checked against the manifest's service names."""
    names = [service["name"] for service in services]
    result = {}
    for name, port in ports.items():
        _check(
            name in names,
            f"ports names the service {name!r}, which the manifest lacks; it has {names}",
        )
        _check(
            port is None or is_port(port),
            f"ports.{name} must be a port number from 1 to 65535 or null (not published), "
            f"got {port!r}",
        )
        result[name] = port
    return result


def environment(
    env: dict, env_file_entries: list[tuple[int, str, str | None]], env_file: str
) -> dict:
    """env_file then env, both checked; env wins where both set a variable."""
    result = {}
    for number, key, value in env_file_entries:
        _check(
            value is not None and bool(ENV_NAME.match(key)),
            f"env_file {env_file} line {number} must be NAME=value, "
            "NAME made of letters, digits and _",
        )
        result[key] = value
    try:
        result.update(env_strings(env, "env"))
    except ManifestError as exc:
        raise OptionError(str(exc)) from None
    return result
