"""The docker_engine role, seen on the lab VM after converge."""

from __future__ import annotations

import json

from conftest import LAB_HOSTS, ensure_image_in_vm, lab_base_image

testinfra_hosts = [LAB_HOSTS]

HARDENED_RUN = (
    "docker run --rm --read-only --cap-drop ALL --security-opt no-new-privileges "
    "--user 10001 --tmpfs /tmp {image} python3 -c "
    "'import os; print(os.getuid(), open(\"/proc/self/status\").read())'"
)


def test_engine_is_enabled_and_running(host):
    docker = host.service("docker")

    assert docker.is_enabled
    assert docker.is_running


def test_docker_info_shows_live_restore_and_json_file_logging(host):
    info = json.loads(host.check_output("docker info --format '{{json .}}'"))

    assert info["LiveRestoreEnabled"] is True
    assert info["LoggingDriver"] == "json-file"


def test_daemon_json_holds_the_hardened_settings(host):
    config = json.loads(host.file("/etc/docker/daemon.json").content_string)

    assert config["live-restore"] is True
    assert config["no-new-privileges"] is True
    assert config["userland-proxy"] is False
    assert config["icc"] is False
    assert config["log-opts"] == {"max-size": "10m", "max-file": "3"}


def test_docker_group_holds_exactly_the_listed_users(host):
    assert sorted(host.group("docker").members) == ["alice", "bob"]


def test_unlisted_member_was_removed(host):
    assert "docker" not in host.user("mallory").groups


def test_docker_socket_is_root_docker_0660(host):
    socket = host.file("/var/run/docker.sock")

    assert socket.is_socket
    assert socket.user == "root"
    assert socket.group == "docker"
    assert socket.mode == 0o660


def test_a_hardened_container_runs_inside_the_vm(host, vm_name):
    image = lab_base_image()
    ensure_image_in_vm(host, vm_name, image)

    out = host.check_output(HARDENED_RUN.format(image=image))

    assert out.startswith("10001 ")
    assert "NoNewPrivs:\t1" in out
    assert "CapEff:\t0000000000000000" in out


def test_listed_user_can_use_docker_without_sudo(host):
    with host.sudo("alice"):
        assert host.run("docker info --format '{{.ServerVersion}}'").rc == 0


def test_user_outside_the_group_cannot_use_docker(host):
    with host.sudo("mallory"):
        result = host.run("docker info")

    assert result.rc != 0
    assert "permission denied" in (result.stdout + result.stderr).lower()
