#!/usr/bin/python
# Copyright: DevOpsLab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: container_restart
short_description: Schedule docker restart of named containers, and an optional prune, with cron
version_added: 0.1.0
description:
  - Writes one file under C(/etc/cron.d/) that runs C(docker restart) for the named containers on
    a schedule, and optionally C(docker system prune -f) on a second schedule (never with
    C(--volumes), so data volumes stay).
  - The file sets C(PATH) itself, calls the Docker client by its absolute path, names the user
    the commands run as, and appends each run's output to O(log_file).
  - The schedules, the container names and the paths are checked before anything is touched; the
    file is written atomically (a temporary file in the same directory, then a rename).
author:
  - DevOpsLab contributors (@devopslab)
requirements:
  - cron on the target (the C(cron) package), which reads C(/etc/cron.d/).
  - With O(require_running=true), the Docker SDK for Python 5.0.3 or newer (C(python3-docker)).
notes:
  - A cron restart needs a container with a fixed name, as the lab's containers have.
  - C(docker system prune -f) removes stopped containers and dangling images, which includes the
    previous images that M(devopslab.docker_lab.flask_scenario) keeps for a rollback.
attributes:
  check_mode:
    support: full
    description: Reports whether the file would change and writes nothing.
  diff_mode:
    support: full
    description: Shows the cron file before and after.
  idempotent:
    support: full
    description: The file is rewritten only when its content would change.
options:
  name:
    description:
      - The cron file's name under O(cron_dir); letters, digits, C(_) and C(-) only, as cron skips
        files with other characters (such as a dot) in their names.
    type: str
    default: devopslab-container-restart
  containers:
    description: The containers to restart, by name, in this order.
    type: list
    elements: str
    default: []
  schedule:
    description:
      - When to restart them, as five cron fields (minute hour day-of-month month day-of-week) or
        one of V(@hourly), V(@daily), V(@weekly), V(@monthly), V(@yearly), V(@reboot).
      - The default is midnight every Sunday.
    type: str
    default: "0 0 * * 0"
  prune_schedule:
    description: When to run C(docker system prune -f), in the same form; unset means never.
    type: str
  state:
    description: V(present) writes the file; V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  require_running:
    description: Fail when a named container does not exist or is not running on the engine.
    type: bool
    default: true
  user:
    description: The user the cron commands run as; it must be able to use Docker.
    type: str
    default: root
  log_file:
    description: The file each run's output is appended to; its directory is made when missing.
    type: path
    default: /var/log/devopslab/container-restart.log
  docker_path:
    description: The Docker client's absolute path; unset, it is looked up on the target.
    type: path
  cron_dir:
    description: The directory cron reads system crontabs from.
    type: path
    default: /etc/cron.d
  docker_host:
    description:
      - The Docker engine's address, asked by O(require_running); when it is not the default, the
        file sets C(DOCKER_HOST) to it.
      - A C(unix://), C(tcp://) or C(ssh://) address; letters, digits and the characters
        C(_.:@/[]-) only.
    type: str
    default: unix:///var/run/docker.sock
"""

EXAMPLES = r"""
- name: Restart the scenario_2 containers every Sunday at midnight
  devopslab.docker_lab.container_restart:
    containers: [scenario2-backend, scenario2-frontend]
    schedule: "0 0 * * 0"

- name: Also prune stopped containers and dangling images daily at 03:30
  devopslab.docker_lab.container_restart:
    containers: [simple-app]
    schedule: "@weekly"
    prune_schedule: "30 3 * * *"

- name: Stop the scheduled restarts
  devopslab.docker_lab.container_restart:
    state: absent
"""

RETURN = r"""
cron_file:
  description: The cron file's path.
  returned: always
  type: str
  sample: /etc/cron.d/devopslab-container-restart
lines:
  description: The scheduled lines of the file (without its header).
  returned: always
  type: list
  elements: str
  sample:
    - 0 0 * * 0 root /usr/bin/docker restart simple-app >>/var/log/devopslab/restart.log 2>&1
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.devopslab.docker_lab.plugins.module_utils import _cron as cron
from ansible_collections.devopslab.docker_lab.plugins.module_utils import _engine as engine
from ansible_collections.devopslab.docker_lab.plugins.module_utils._host import (
    make_missing_directory,
)
from ansible_collections.devopslab.docker_lab.plugins.module_utils._manifest import CONTAINER_NAME


def argument_spec() -> dict:
    return {
        "name": {"type": "str", "default": "devopslab-container-restart"},
        "containers": {"type": "list", "elements": "str", "default": []},
        "schedule": {"type": "str", "default": "0 0 * * 0"},
        "prune_schedule": {"type": "str"},
        "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        "require_running": {"type": "bool", "default": True},
        "user": {"type": "str", "default": "root"},
        "log_file": {"type": "path", "default": "/var/log/devopslab/container-restart.log"},
        "docker_path": {"type": "path"},
        "cron_dir": {"type": "path", "default": "/etc/cron.d"},
        "docker_host": {"type": "str", "default": engine.DEFAULT_DOCKER_HOST},
    }


def option_problems(params: dict) -> list[str]:
    """Every option value that cannot be used, each naming its option."""
    problems = []
    if not cron.CRON_FILE_NAME.match(params["name"]):
        problems.append(f"name must be letters, digits, _ and - only, got {params['name']!r}")
    bad = [c for c in params["containers"] if not CONTAINER_NAME.match(c)]
    if bad:
        problems.append(
            f"containers must be container names ([a-zA-Z0-9][a-zA-Z0-9_.-]*), got {bad}"
        )
    for option in ("schedule", "prune_schedule"):
        problem = params[option] is not None and cron.schedule_problem(params[option])
        if problem:
            problems.append(f"{option} {params[option]!r} is not a cron schedule: {problem}")
    if params["state"] == "present" and not params["containers"] and not params["prune_schedule"]:
        problems.append(
            "containers is empty and prune_schedule unset: there is nothing to schedule"
        )
    if not cron.USER_NAME.match(params["user"]):
        problems.append(f"user must be a user name such as root, got {params['user']!r}")
    if not cron.DOCKER_HOST.match(params["docker_host"]):
        problems.append(
            "docker_host must be a unix://, tcp:// or ssh:// address with no spaces, "
            f"got {params['docker_host']!r}"
        )
    for option in ("log_file", "docker_path"):
        if params[option] and not cron.SAFE_PATH.match(params[option]):
            problems.append(
                f"{option} must be an absolute path of letters, digits, _ . / -, "
                f"got {params[option]!r}"
            )
    return problems


def not_running(params: dict) -> list[str]:
    """The named containers that do not exist or are not running."""
    api = engine.connect(params["docker_host"])
    missing = []
    for name in params["containers"]:
        inspect = engine.inspect_container(api, name)
        if not inspect or not inspect["State"].get("Running"):
            missing.append(name)
    return missing


def wanted_lines(params: dict, docker: str) -> list[str]:
    lines = []
    if params["containers"]:
        command = [docker, "restart"] + params["containers"]
        lines.append(
            cron.cron_line(params["schedule"], params["user"], command, params["log_file"])
        )
    if params["prune_schedule"]:
        command = [docker, "system", "prune", "-f"]
        lines.append(
            cron.cron_line(params["prune_schedule"], params["user"], command, params["log_file"])
        )
    return lines


def read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def write_atomically(module: AnsibleModule, path: str, content: str) -> None:
    descriptor, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".devopslab-")
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(content)
    os.chmod(temporary, 0o644)
    module.atomic_move(temporary, path)


def present(module: AnsibleModule, path: str, current: str | None) -> dict:
    params = module.params
    docker = params["docker_path"] or module.get_bin_path(
        "docker", opt_dirs=["/usr/bin", "/usr/local/bin"]
    )
    if not docker or not os.access(docker, os.X_OK):
        module.fail_json(
            msg=f"docker_path: no Docker client found ({docker or 'not on PATH'}); set docker_path"
        )
    if params["require_running"] and params["containers"]:
        if not engine.HAS_DOCKER:
            module.fail_json(
                msg=missing_required_lib("docker (python3-docker)"),
                exception=engine.DOCKER_IMPORT_ERROR,
            )
        missing = not_running(params)
        if missing:
            module.fail_json(
                msg=f"containers: {', '.join(missing)} not running, and a cron restart needs "
                "a running container with a fixed name; deploy it first or set "
                "require_running=false"
            )
    lines = wanted_lines(params, docker)
    docker_host = (
        params["docker_host"] if params["docker_host"] != engine.DEFAULT_DOCKER_HOST else None
    )
    content = cron.render(lines, docker_host)
    changed = make_missing_directory(os.path.dirname(params["log_file"]), 0o755, module.check_mode)
    if content != current:
        changed = True
        if not module.check_mode:
            write_atomically(module, path, content)
    return {"changed": changed, "lines": lines, "after": content}


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    problems = option_problems(params)
    if problems:
        module.fail_json(msg="; ".join(problems))
    path = os.path.join(params["cron_dir"], params["name"])
    if not os.path.isdir(params["cron_dir"]):
        module.fail_json(
            msg=f"cron_dir {params['cron_dir']} is not a directory; is cron installed?"
        )
    current = read(path)
    if params["state"] == "absent":
        outcome = {"changed": current is not None, "lines": [], "after": ""}
        if current is not None and not module.check_mode:
            os.remove(path)
    else:
        try:
            outcome = present(module, path, current)
        except (engine.DockerException, engine.EngineError, OSError) as exc:
            module.fail_json(msg=f"require_running: cannot ask the Docker engine: {exc}")
    module.exit_json(
        changed=outcome["changed"],
        cron_file=path,
        lines=outcome["lines"],
        diff={
            "before": current or "",
            "after": outcome["after"],
            "before_header": path,
            "after_header": path,
        },
    )


if __name__ == "__main__":
    main()
