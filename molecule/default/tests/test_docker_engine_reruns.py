"""The docker_engine role run again on the lab VM: bad input, a held dpkg lock,
and a user who uses Docker in the same play that added them.

These reconfigure the VM and put it back; they run after the read-only checks.
"""

from __future__ import annotations

import datetime
import os
import subprocess
from pathlib import Path

import pytest
from conftest import LAB_HOSTS, PLAYBOOKS, run_playbook

testinfra_hosts = [LAB_HOSTS]

pytestmark = pytest.mark.disruptive

LISTED = ["alice", "bob"]


def vm_state(host) -> dict:
    return {
        "daemon_json": host.file("/etc/docker/daemon.json").sha256sum,
        "etc_docker": sorted(host.file("/etc/docker").listdir()),
        "members": sorted(host.group("docker").members),
        "engine_running": host.service("docker").is_running,
    }


def test_missing_user_fails_clearly_and_changes_nothing(host):
    before = vm_state(host)

    run = run_playbook("engine.yml", {"docker_users": LISTED + ["ghost"]})

    assert run.rc != 0
    assert "docker_users names users that do not exist" in run.output
    assert "ghost" in run.output
    assert vm_state(host) == before


def test_a_single_name_instead_of_a_list_fails_clearly_and_changes_nothing(host):
    before = vm_state(host)

    run = run_playbook("engine.yml", {"docker_users": "alice"})

    assert run.rc != 0
    assert "docker_users must be a list of user names" in run.output, run.output[-2000:]
    assert vm_state(host) == before


def test_malformed_daemon_option_keeps_the_old_file_and_a_running_engine(host):
    before = vm_state(host)
    engine_pid = host.check_output("systemctl show -p MainPID --value docker")

    run = run_playbook("engine.yml", {
        "docker_users": LISTED,
        "docker_engine_daemon_options": {"no-such-setting": True},
    })

    assert run.rc != 0
    assert "would not start with the new /etc/docker/daemon.json" in run.output
    assert "no-such-setting" in run.output
    assert vm_state(host) == before
    assert host.check_output("systemctl show -p MainPID --value docker") != engine_pid


def test_package_tasks_wait_for_a_held_dpkg_lock(host, vm_name):
    host.run_expect([0], "apt-get remove -y -q docker-compose")
    subprocess.run(["docker", "cp", str(PLAYBOOKS / "hold_dpkg_lock.py"), f"{vm_name}:/root/"],
                   check=True)
    host.run("rm -f /run/dpkg-lock-held /run/dpkg-lock-released")
    host.run_expect([0], "systemd-run --unit dpkg-lock-holder --collect "
                         "python3 /root/hold_dpkg_lock.py 30")
    host.run_expect([0], "for i in $(seq 50); do test -f /run/dpkg-lock-held && exit 0; "
                         "sleep 0.1; done; exit 1")

    run = run_playbook("engine.yml", {"docker_users": LISTED})

    assert run.rc == 0, run.output
    assert run.seconds >= 25
    released = float(host.file("/run/dpkg-lock-released").content_string)
    installed = host.check_output(
        "grep ' status installed docker-compose:' /var/log/dpkg.log | tail -n 1")
    installed_at = datetime.datetime.strptime(installed[:19], "%Y-%m-%d %H:%M:%S").timestamp()
    assert installed_at >= int(released), "docker-compose was installed while the lock was held"
    assert host.package("docker-compose").is_installed
    assert host.file("/var/lib/dpkg/lock-frontend").exists


@pytest.fixture
def ssh_user(host, vm_name, tmp_path: Path):
    """A user who may sudo and logs in over SSH with a fresh key; removed afterwards."""
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    host.run_expect([0], "useradd --create-home --shell /bin/bash carol")
    host.run_expect([0], "echo 'carol ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/carol")
    host.run_expect([0], "install -d -m 700 -o carol -g carol /home/carol/.ssh")
    subprocess.run(["docker", "cp", f"{key}.pub", f"{vm_name}:/home/carol/.ssh/authorized_keys"],
                   check=True)
    host.run_expect([0], "chown carol:carol /home/carol/.ssh/authorized_keys")
    host.run_expect([0], "systemctl start ssh")
    yield key
    run_playbook("engine.yml", {"docker_users": LISTED})
    host.run("userdel --remove carol; rm -f /etc/sudoers.d/carol")


def test_user_added_over_ssh_uses_docker_in_the_same_play(host, vm_name, ssh_user, tmp_path):
    address = subprocess.run(
        ["docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
         vm_name], check=True, capture_output=True, text=True).stdout.split()[0]
    inventory = tmp_path / "ssh.yml"
    inventory.write_text(
        "all:\n  hosts:\n    ssh-lab-vm:\n"
        f"      ansible_host: {address}\n      ansible_user: carol\n"
        f"      ansible_ssh_private_key_file: {ssh_user}\n"
        "      ansible_ssh_common_args: "
        "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null\n"
        "      ansible_python_interpreter: /usr/bin/python3\n"
    )
    env = dict(os.environ, ANSIBLE_CONFIG=str(PLAYBOOKS.parents[3] / "ansible.cfg"))

    done = subprocess.run(
        ["ansible-playbook", "-i", str(inventory),
         "-e", '{"docker_users": ["alice", "bob", "carol"]}',
         str(PLAYBOOKS / "engine_as_user.yml")],
        env=env, capture_output=True, text=True, check=False)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "docker info as carol: " in done.stdout
    assert "carol" in host.group("docker").members


@pytest.fixture
def signing_key(host, tmp_path: Path):
    """A throwaway ASCII-armored key standing in for Docker's, and cleanup afterwards."""
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    gpg = ["gpg", "--homedir", str(home), "--batch", "--quiet"]
    subprocess.run([*gpg, "--passphrase", "", "--quick-gen-key", "lab-test-key", "ed25519",
                    "sign", "1d"], check=True)
    key = subprocess.run([*gpg, "--armor", "--export", "lab-test-key"], check=True,
                         capture_output=True, text=True).stdout
    yield key
    host.run("rm -f /etc/apt/sources.list.d/docker.sources /etc/apt/keyrings/docker.asc")


def test_docker_ce_source_configures_the_signed_repository(host, signing_key):
    run = run_playbook("engine_repository.yml", {
        "docker_engine_source": "docker_ce",
        "docker_engine_ce_gpg_key": signing_key,
        "docker_engine_ce_version": "5:27.3.1-1~debian.12~bookworm",
    })

    assert run.rc == 0, run.output
    sources = host.file("/etc/apt/sources.list.d/docker.sources").content_string
    assert "URIs: https://download.docker.com/linux/debian" in sources
    assert "Suites: bookworm" in sources
    assert "Components: stable" in sources
    assert "BEGIN PGP PUBLIC KEY BLOCK" in sources
    sites = host.check_output("apt-get indextargets --no-release-info --format '$(SITE)'")
    assert "https://download.docker.com/linux/debian" in sites
    assert ("packages: docker-ce=5:27.3.1-1~debian.12~bookworm "
            "docker-ce-cli=5:27.3.1-1~debian.12~bookworm containerd.io docker-compose-plugin"
            ) in run.output
