# Copyright: DevOpsLab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Docker engine as the modules see it: the SDK's low-level client.

Works with the Docker SDK for Python 5.0.3 (what Debian 12 and Ubuntu 22.04
ship as python3-docker) up to 7.x, and engine API 1.41 or newer.
"""

from __future__ import annotations

import hashlib
import os
import time
import traceback

try:
    import docker
    from docker.errors import DockerException, NotFound
    from docker.utils.build import exclude_paths

    HAS_DOCKER = True
    DOCKER_IMPORT_ERROR = None
except ImportError:
    HAS_DOCKER = False
    DOCKER_IMPORT_ERROR = traceback.format_exc()

    class DockerException(Exception):  # type: ignore[no-redef]
        """Stands in so that `except` clauses work when the SDK is missing."""

    class NotFound(DockerException):  # type: ignore[no-redef]
        """Stands in so that `except` clauses work when the SDK is missing."""


DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"
LABEL_PREFIX = "devopslab."
CONTEXT_LABEL = "devopslab.context-hash"


class EngineError(Exception):
    """The engine refused or failed; the message says what was being done."""


def wait_for_engine(api, seconds: float) -> bool:
    """Whether the engine answers a ping within `seconds` (it may be restarting). Talking
    to the engine raises its own errors, or OSError (which requests' errors are) when the
    socket goes away, as when the engine restarts in the middle of a deploy."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            api.ping()
            return True
        except (DockerException, EngineError, OSError):
            if time.monotonic() >= deadline:
                return False
            time.sleep(1)


def connect(docker_host: str, timeout: int = 600):
    """A low-level client for the engine at docker_host, checked with a ping. The
    timeout is per read, and a build step such as a pip install can be quiet a while."""
    try:
        api = docker.APIClient(base_url=docker_host, version="auto", timeout=timeout)
        api.ping()
    except DockerException as exc:
        raise EngineError(f"cannot reach the Docker engine at {docker_host}: {exc}") from exc
    return api


def inspect_container(api, name: str) -> dict | None:
    """`docker container inspect`, or None when there is no such container."""
    try:
        return api.inspect_container(name)
    except NotFound:
        return None


def inspect_image(api, ref: str) -> dict | None:
    """`docker image inspect`, or None when the engine does not hold the image."""
    try:
        return api.inspect_image(ref)
    except NotFound:
        return None


def _ignore_patterns(context: str) -> list[str]:
    path = os.path.join(context, ".dockerignore")
    if not os.path.isfile(path):
        return []
    with open(path, encoding="utf-8") as handle:
        lines = [line.strip() for line in handle.read().splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def context_files(context: str) -> list[str]:
    """The files `docker build` would send, relative to the context, sorted."""
    included = exclude_paths(context, _ignore_patterns(context), dockerfile="Dockerfile")
    return sorted(p for p in included if os.path.isfile(os.path.join(context, p)))


def context_hash(context: str, extra: dict) -> str:
    """A sha256 over the build context (as .dockerignore filters it) and extra inputs."""
    digest = hashlib.sha256()
    for key in sorted(extra):
        digest.update(f"{key}={extra[key]}\0".encode())
    for rel in context_files(context):
        full = os.path.join(context, rel)
        executable = os.access(full, os.X_OK)
        digest.update(f"{rel}\0{int(executable)}\0".encode())
        with open(full, "rb") as handle:
            digest.update(hashlib.sha256(handle.read()).digest())
    return digest.hexdigest()


def build_image(api, context: str, tag: str, buildargs: dict, labels: dict) -> str:
    """Build context as tag and return the image id; the error names the failing step."""
    output = []
    try:
        stream = api.build(
            path=context,
            tag=tag,
            buildargs=buildargs,
            labels=labels,
            rm=True,
            forcerm=True,
            pull=False,
            decode=True,
        )
        for chunk in stream:
            if "error" in chunk:
                tail = "".join(output[-12:]).strip()
                raise EngineError(f"building {tag} failed: {chunk['error'].strip()}\n{tail}")
            output.append(chunk.get("stream", ""))
    except DockerException as exc:
        raise EngineError(f"building {tag} failed: {exc}") from exc
    image = inspect_image(api, tag)
    if image is None:
        raise EngineError(f"building {tag} ended without an image")
    return image["Id"]


def container_logs(api, name: str, lines: int = 20) -> list[str]:
    """The last lines a container wrote, stdout and stderr together."""
    try:
        raw = api.logs(name, stdout=True, stderr=True, tail=lines)
    except DockerException:
        return []
    return raw.decode("utf-8", "replace").splitlines()


def health_log(inspect: dict, entries: int = 3) -> list[str]:
    """The last health check results, one line each."""
    health = (inspect.get("State") or {}).get("Health") or {}
    return [
        f"exit {item.get('ExitCode')}: {str(item.get('Output', '')).strip()[-300:]}"
        for item in (health.get("Log") or [])[-entries:]
    ]


def container_summary(inspect: dict) -> dict:
    """What the modules return about one container."""
    state = inspect.get("State") or {}
    return {
        "name": inspect.get("Name", "").lstrip("/"),
        "id": inspect.get("Id"),
        "image": (inspect.get("Config") or {}).get("Image"),
        "image_id": inspect.get("Image"),
        "status": state.get("Status"),
        "health": (state.get("Health") or {}).get("Status", "none"),
        "started_at": state.get("StartedAt"),
    }
