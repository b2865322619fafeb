# Copyright: DevOpsLab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A scenario's manifest (scenario.yml): what it runs, read and checked.

Every problem is reported with the field it is in and what the field accepts,
before anything on the host is touched.
"""

from __future__ import annotations

import os
import re

CONTAINER_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}\Z")
SERVICE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}\Z")
SECRET_NAME = re.compile(r"^[a-z0-9_][a-z0-9_.-]{0,62}\Z")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")

_FIELDS = {
    "name",
    "container_name",
    "build",
    "port",
    "publish",
    "data_dir",
    "log_dir",
    "secrets",
    "env",
    "health_path",
    "command",
}


class ManifestError(ValueError):
    """A manifest that cannot be deployed; the message names the field."""


def is_port(value: object) -> bool:
    """True for a TCP port number, 1 to 65535 (booleans are not numbers here)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535


def env_strings(values: dict, where: str) -> dict[str, str]:
    """Environment values as strings; names must be shell-style identifiers."""
    if not isinstance(values, dict):
        raise ManifestError(f"{where} must be a mapping of variable names to values")
    result = {}
    for key, value in values.items():
        if not isinstance(key, str) or not ENV_NAME.match(key):
            raise ManifestError(
                f"{where} has the variable name {key!r}: names are letters, digits and _, "
                "not starting with a digit"
            )
        if isinstance(value, (dict, list)) or value is None:
            raise ManifestError(f"{where}.{key} must be a string or a number, got {value!r}")
        result[key] = str(value).lower() if isinstance(value, bool) else str(value)
    return result


def _absolute(service: dict, field: str, where: str) -> str | None:
    value = service.get(field)
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith("/") or ".." in value.split("/"):
        raise ManifestError(
            f"{where}.{field} must be an absolute path in the container, got {value!r}"
        )
    return value.rstrip("/") or "/"


def _build_dir(src: str, service: dict, where: str) -> str:
    build = service.get("build", ".")
    if not isinstance(build, str) or os.path.isabs(build) or ".." in build.split("/"):
        raise ManifestError(
            f"{where}.build must be a directory relative to the scenario, got {build!r}"
        )
    path = os.path.normpath(os.path.join(src, build))
    if not os.path.isfile(os.path.join(path, "Dockerfile")):
        raise ManifestError(f"{where}.build: {path} holds no Dockerfile")
    return path


def _ports(service: dict, where: str) -> tuple[int | None, int | None]:
    port = service.get("port")
    if port is not None and not is_port(port):
        raise ManifestError(f"{where}.port must be a whole number from 1 to 65535, got {port!r}")
    publish = service.get("publish", port)
    if publish is not None and not is_port(publish):
        raise ManifestError(
            f"{where}.publish must be a whole number from 1 to 65535 or null, got {publish!r}"
        )
    if publish is not None and port is None:
        raise ManifestError(f"{where}.publish needs {where}.port, the port the app listens on")
    return port, publish


def _names(values: object, pattern: re.Pattern, where: str) -> list[str]:
    if values is None:
        return []
    if not isinstance(values, list) or not all(
        isinstance(v, str) and pattern.match(v) for v in values
    ):
        raise ManifestError(
            f"{where} must be a list of names made of a-z, 0-9, '_', '.' and '-', got {values!r}"
        )
    return list(values)


def _command(service: dict, where: str) -> list[str] | None:
    command = service.get("command")
    if command is None:
        return None
    if not isinstance(command, list) or not command or not all(isinstance(c, str) for c in command):
        raise ManifestError(
            f"{where}.command must be a non-empty list of strings or null, got {command!r}"
        )
    return command


def _text(service: dict, field: str, pattern: re.Pattern, where: str, accepts: str) -> str:
    value = service.get(field)
    if not isinstance(value, str) or not pattern.match(value):
        raise ManifestError(f"{where}.{field} must be {accepts}, got {value!r}")
    return value


def _health_path(service: dict, where: str) -> str | None:
    path = service.get("health_path")
    if path is not None and (not isinstance(path, str) or not path.startswith("/")):
        raise ManifestError(f"{where}.health_path must be a URL path starting with /, got {path!r}")
    return path


def parse_service(src: str, service: object, index: int) -> dict:
    """One checked service entry, with its defaults filled in."""
    where = f"services[{index}]"
    if not isinstance(service, dict):
        raise ManifestError(f"{where} must be a mapping")
    unknown = sorted(set(service) - _FIELDS)
    if unknown:
        raise ManifestError(f"{where} has unknown fields {unknown}; known: {sorted(_FIELDS)}")
    port, publish = _ports(service, where)
    return {
        "name": _text(service, "name", SERVICE_NAME, where, "a-z, 0-9, '_' and '-'"),
        "container_name": _text(
            service,
            "container_name",
            CONTAINER_NAME,
            where,
            "a Docker container name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)",
        ),
        "build": _build_dir(src, service, where),
        "port": port,
        "publish": publish,
        "data_dir": _absolute(service, "data_dir", where),
        "log_dir": _absolute(service, "log_dir", where),
        "secrets": _names(service.get("secrets"), SECRET_NAME, f"{where}.secrets"),
        "env": env_strings(service.get("env") or {}, f"{where}.env"),
        "health_path": _health_path(service, where),
        "command": _command(service, where),
    }


def parse_manifest(src: str, data: object) -> dict:
    """The checked manifest: its description and its services in start order."""
    if not isinstance(data, dict):
        raise ManifestError("the manifest must be a mapping with a 'services' list")
    services = data.get("services")
    if not isinstance(services, list) or not services:
        raise ManifestError("services must be a non-empty list")
    parsed = [parse_service(src, service, index) for index, service in enumerate(services)]
    for field in ("name", "container_name"):
        seen = [service[field] for service in parsed]
        if len(seen) != len(set(seen)):
            raise ManifestError(f"services: each {field} must be unique, got {seen}")
    return {"description": str(data.get("description") or ""), "services": parsed}
