# Copyright: DevOpsLab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hardening baseline every lab container runs with.

One place holds it: the flask_scenario module, the tests and the docs read it
from here, so a default changes in one place. Each entry is on unless the
module option that relaxes it is set.
"""

from __future__ import annotations

APP_UID = 10001
APP_GID = 10001

BASELINE = {
    "user": f"{APP_UID}:{APP_GID}",
    "read_only": True,
    "tmpfs": {"/tmp": "rw,noexec,nosuid,nodev,size=64m"},
    "cap_drop": ["ALL"],
    "security_opt": ["no-new-privileges"],
    "memory": "256m",
    "memory_swap": "256m",
    "cpus": 0.5,
    "pids_limit": 128,
    "restart_policy": "unless-stopped",
    "log_driver": "json-file",
    "log_options": {"max-size": "10m", "max-file": "3"},
    "bind_address": "127.0.0.1",
}


def docker_run_args(baseline: dict | None = None) -> list[str]:
    """Return the baseline as `docker run` flags, for tests and for the docs."""
    b = dict(BASELINE if baseline is None else baseline)
    args = ["--user", b["user"]]
    if b["read_only"]:
        args.append("--read-only")
    for path, options in sorted(b["tmpfs"].items()):
        args += ["--tmpfs", f"{path}:{options}"]
    for cap in b["cap_drop"]:
        args += ["--cap-drop", cap]
    for opt in b["security_opt"]:
        args += ["--security-opt", opt]
    args += [
        "--memory",
        b["memory"],
        "--memory-swap",
        b["memory_swap"],
        "--cpus",
        str(b["cpus"]),
        "--pids-limit",
        str(b["pids_limit"]),
        "--restart",
        b["restart_policy"],
        "--log-driver",
        b["log_driver"],
    ]
    for key, value in sorted(b["log_options"].items()):
        args += ["--log-opt", f"{key}={value}"]
    return args
