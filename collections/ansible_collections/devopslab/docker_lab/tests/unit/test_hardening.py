"""The hardening baseline and its `docker run` rendering."""

from __future__ import annotations

from ansible_collections.devopslab.docker_lab.plugins.module_utils._spec import parse_size
from ansible_collections.devopslab.docker_lab.plugins.module_utils.hardening import (
    APP_GID,
    APP_UID,
    BASELINE,
    docker_run_args,
)


def test_baseline_runs_as_the_fixed_non_root_user():
    assert BASELINE["user"] == f"{APP_UID}:{APP_GID}" and APP_UID != 0


def test_baseline_allows_no_swap():
    assert parse_size(BASELINE["memory"]) == parse_size(BASELINE["memory_swap"])


def test_docker_run_args_render_every_hardening_flag():
    args = docker_run_args()

    for flag in (
        "--read-only",
        "--cap-drop",
        "--security-opt",
        "--memory",
        "--pids-limit",
        "--restart",
    ):
        assert flag in args
    assert args[args.index("--user") + 1] == BASELINE["user"]
    assert args[args.index("--cap-drop") + 1] == "ALL"
    assert args[args.index("--security-opt") + 1] == "no-new-privileges"
    assert "--tmpfs" in args and args[args.index("--tmpfs") + 1].startswith("/tmp:")


def test_docker_run_args_follow_a_relaxed_baseline():
    relaxed = dict(BASELINE, read_only=False, cap_drop=[])

    args = docker_run_args(relaxed)

    assert "--read-only" not in args and "--cap-drop" not in args
