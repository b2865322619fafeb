"""The firewall role, proven from outside: a client container on the lab VM's network.

A probe web server runs in the VM's own engine on the lab network, published on
every port of firewall_published_ports (from the inventory) and on one port that is
not listed. The client stands for another machine on the VM's network.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shlex
import subprocess
import time

import pytest
import testinfra
from conftest import LAB_HOSTS, ensure_image_in_vm, lab_base_image, run_playbook

testinfra_hosts = [LAB_HOSTS]

CLIENTS = "ansible://clients?ansible_inventory=" + os.environ.get("MOLECULE_INVENTORY_FILE", "")
PROBE = "fwprobe-web"
UNLISTED_PORT = 18080
HOST_SERVICE_PORT = 18181
LAB_NETWORK, LAB_BRIDGE = "devopslab", "br-devopslab"
UNTRUSTED_NETWORK, UNTRUSTED_BRIDGE = "fwprobe-other", "br-fwprobe"
TIMEOUT = 3

# Run with python3 on the client or in a container: prints what a TCP connection or
# an HTTP GET met, one word or a status code.
CONNECT = """
import socket, sys
s = socket.socket(); s.settimeout({timeout})
try:
    s.connect(({host!r}, {port})); print(s.recv(64).decode(errors="replace") or "open")
except socket.timeout: print("timeout")
except OSError as e: print(type(e).__name__)
"""
HTTP_GET = """
import socket, urllib.request
try:
    print(urllib.request.urlopen("http://{host}:{port}/", timeout={timeout}).status)
except (socket.timeout, TimeoutError): print("timeout")
except OSError as e: print("timeout" if "timed out" in str(e) else type(e).__name__)
"""


def python(code: str, **values) -> str:
    return "python3 -c " + shlex.quote(code.format(timeout=TIMEOUT, **values))


@pytest.fixture(scope="module")
def client():
    return testinfra.get_hosts([CLIENTS])[0]


@pytest.fixture(scope="module")
def published(host) -> list[dict]:
    ports = host.ansible.get_variables().get("firewall_published_ports", [])
    assert ports, "molecule.yml must give the lab group some firewall_published_ports to test"
    assert UNLISTED_PORT not in [entry["port"] for entry in ports]
    return ports


def vm_address(host) -> str:
    """The VM's address on the network it shares with the client (not a Docker bridge)."""
    for line in host.check_output("ip -4 -o addr show scope global").splitlines():
        fields = line.split()
        if fields[1] != "docker0" and not fields[1].startswith("br-"):
            return fields[3].split("/")[0]
    raise AssertionError("the lab VM has no address outside its Docker bridges")


def client_address(client, vm_ip: str) -> ipaddress.IPv4Address:
    code = "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
    code += f"s.connect(({vm_ip!r}, 9)); print(s.getsockname()[0])"
    return ipaddress.ip_address(client.check_output("python3 -c " + shlex.quote(code)))


def reaches(source: ipaddress.IPv4Address, entry: dict) -> bool:
    return any(
        text == "any" or source in ipaddress.ip_network(text, strict=False)
        for text in entry["sources"]
    )


def wait_until(check, seconds: int = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(1)
    return False


@pytest.fixture(scope="module")
def probe(host, vm_name, published):
    """The probe server in the VM's engine, and a plain HTTP service on the VM itself."""
    image = lab_base_image()
    ensure_image_in_vm(host, vm_name, image)
    made_network = host.run(f"docker network inspect {LAB_NETWORK}").rc != 0
    if made_network:
        host.check_output(
            f"docker network create -o com.docker.network.bridge.name={LAB_BRIDGE} {LAB_NETWORK}"
        )
    host.check_output(
        f"docker network create -o com.docker.network.bridge.name={UNTRUSTED_BRIDGE} "
        f"{UNTRUSTED_NETWORK}"
    )
    ports = [entry["port"] for entry in published] + [UNLISTED_PORT]
    publish = " ".join(f"-p {port}:8000" for port in ports)
    host.check_output(
        f"docker run -d --name {PROBE} --restart unless-stopped --network {LAB_NETWORK} "
        f"--read-only --user 10001 {publish} {image} python3 -m http.server 8000 --directory /"
    )
    host.check_output(
        f"systemd-run --unit fwprobe-host-http python3 -m http.server {HOST_SERVICE_PORT} "
        "--directory /var/lib"
    )
    address = vm_address(host)
    assert wait_until(lambda: answers_from(host, address, ports[0]) == "200")
    yield {"vm": address, "image": image}

    host.run(f"docker rm -f {PROBE}")
    host.run(f"docker network rm {UNTRUSTED_NETWORK}")
    host.run("systemctl stop fwprobe-host-http")
    if made_network:
        host.run(f"docker network rm {LAB_NETWORK}")


def answers_from(where, address: str, port: int) -> str:
    return where.check_output(python(HTTP_GET, host=address, port=port)).strip()


def from_container(host, network: str, image: str, port: int) -> str:
    code = python(HTTP_GET, host="host.docker.internal", port=port)
    command = (
        f"docker run --rm --network {network} --add-host host.docker.internal:host-gateway "
        f"--read-only --user 10001 {image} {code}"
    )
    return host.check_output(command).strip()


def assert_published_ports_obey(host, client, published, vm_ip: str) -> None:
    source = client_address(client, vm_ip)
    for entry in published:
        wanted = "200" if reaches(source, entry) else "timeout"
        assert answers_from(client, vm_ip, entry["port"]) == wanted, entry
    assert answers_from(client, vm_ip, UNLISTED_PORT) == "timeout"
    banner = client.check_output(python(CONNECT, host=vm_ip, port=22))
    assert banner.startswith("SSH-2.0-")


def firewall_state(host) -> str:
    return host.file("/etc/ufw/after.rules").content_string + host.check_output("ufw status")


def test_ufw_is_active_and_denies_incoming_and_routed_by_default(host):
    status = host.check_output("ufw status verbose")

    assert "Status: active" in status
    assert "Default: deny (incoming), allow (outgoing), deny (routed)" in status


def test_ssh_answers_from_the_client(client, host, probe):
    banner = client.check_output(python(CONNECT, host=probe["vm"], port=22))

    assert banner.startswith("SSH-2.0-OpenSSH")


def test_the_client_is_one_of_the_sources_the_test_relies_on(client, published, probe):
    source = client_address(client, probe["vm"])

    assert any(reaches(source, entry) for entry in published)
    assert not all(reaches(source, entry) for entry in published)


def test_allowed_published_port_answers_from_the_client(client, published, probe):
    source = client_address(client, probe["vm"])
    allowed = [entry["port"] for entry in published if reaches(source, entry)]

    assert [answers_from(client, probe["vm"], port) for port in allowed] == ["200"] * len(allowed)


def test_port_allowed_only_from_other_sources_does_not_answer(client, published, probe):
    source = client_address(client, probe["vm"])
    others = [entry["port"] for entry in published if not reaches(source, entry)]

    assert [answers_from(client, probe["vm"], port) for port in others] == ["timeout"] * len(others)


def test_unlisted_published_port_does_not_answer_from_the_client(client, probe):
    assert answers_from(client, probe["vm"], UNLISTED_PORT) == "timeout"


def test_every_published_port_answers_from_inside_the_vm(host, published, probe):
    ports = [entry["port"] for entry in published] + [UNLISTED_PORT]

    assert [answers_from(host, probe["vm"], port) for port in ports] == ["200"] * len(ports)


def test_host_service_without_a_ufw_rule_does_not_answer_from_the_client(client, host, probe):
    assert answers_from(host, "127.0.0.1", HOST_SERVICE_PORT) == "200"
    assert answers_from(client, probe["vm"], HOST_SERVICE_PORT) == "timeout"


def test_container_on_docker0_reaches_a_service_on_the_vm(host, probe):
    assert from_container(host, "bridge", probe["image"], HOST_SERVICE_PORT) == "200"


def test_container_on_the_lab_network_reaches_a_service_on_the_vm(host, probe):
    assert from_container(host, LAB_NETWORK, probe["image"], HOST_SERVICE_PORT) == "200"


def test_container_on_a_bridge_not_listed_does_not_reach_the_vm(host, probe):
    assert from_container(host, UNTRUSTED_NETWORK, probe["image"], HOST_SERVICE_PORT) == "timeout"


def test_docker_user_rules_live_in_ufw_after_rules(host):
    after = host.file("/etc/ufw/after.rules").content_string
    chain = host.check_output("iptables --wait --list-rules DOCKER-USER")

    assert "# BEGIN DEVOPSLAB DOCKER-USER" in after
    assert ":DOCKER-USER - [0:0]" in after
    assert "-m conntrack --ctstate DNAT -j DROP" in chain


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"firewall_published_ports": [{"port": 70000, "sources": ["any"]}]},
         "firewall_published_ports[0] must have port (1 to 65535)"),
        ({"firewall_published_ports": [{"port": 8000, "sources": ["10.0.0.300/8"]}]},
         "firewall_published_ports[0] must have port"),
        ({"firewall_published_ports": [{"port": 8000, "proto": "icmp", "sources": ["any"]}]},
         "proto"),
        ({"firewall_published_ports": [{"port": 8000}]}, "sources"),
        ({"firewall_ssh_sources": ["example.com"]}, "not valid: example.com"),
        ({"firewall_ssh_port": 0}, "firewall_ssh_port must be a port from 1 to 65535"),
        ({"firewall_docker_interfaces": ["br-far-too-long-name"]}, "not valid: br-far-too-long"),
        ({"firewall_logging": "loud"}, "firewall_logging"),
    ],
)
def test_bad_variables_fail_naming_them_before_anything_changes(host, variables, message):
    before = firewall_state(host)

    run = run_playbook("firewall.yml", variables, "--limit", "lab")

    assert run.rc != 0
    assert message in run.output, run.output[-2000:]
    assert firewall_state(host) == before


@pytest.mark.disruptive
def test_narrowed_ssh_sources_and_bridges_replace_the_rules_they_had(host):
    narrowed = {
        "firewall_ssh_sources": ["10.8.8.1/24", "192.0.2.7/32"],
        "firewall_docker_interfaces": ["docker0"],
    }
    try:
        first = run_playbook("firewall.yml", narrowed, "--limit", "lab")
        again = run_playbook("firewall.yml", narrowed, "--limit", "lab")
        added = host.check_output("ufw show added")
    finally:
        restored = run_playbook("firewall.yml", {}, "--limit", "lab")

    assert first.rc == 0, first.output[-3000:]
    assert re.search(r"lab-vm\s*:\s*ok=\d+\s+changed=0\s", again.output), again.output[-3000:]
    assert "ufw allow from 10.8.8.0/24 to any port 22 proto tcp comment 'SSH'" in added
    assert "ufw allow from 192.0.2.7 to any port 22 proto tcp comment 'SSH'" in added
    assert "ufw allow 22/tcp comment 'SSH'" not in added
    assert "br-devopslab" not in added
    assert restored.rc == 0, restored.output[-3000:]
    assert "ufw allow 22/tcp comment 'SSH'" in host.check_output("ufw show added")


@pytest.mark.disruptive
def test_published_ports_obey_after_ufw_reload(client, host, published, probe):
    host.check_output("ufw reload")

    assert_published_ports_obey(host, client, published, probe["vm"])
    assert host.check_output("iptables --wait --list-rules DOCKER-USER").count("-j DROP") == 1


@pytest.mark.disruptive
def test_published_ports_obey_after_a_docker_engine_restart(client, host, published, probe):
    host.check_output("systemctl restart docker")
    assert wait_until(lambda: host.run("docker info").rc == 0)
    address = probe["vm"]
    assert wait_until(lambda: answers_from(host, address, published[0]["port"]) == "200")

    assert_published_ports_obey(host, client, published, address)


@pytest.mark.disruptive
def test_run_over_ssh_survives_enabling_ufw(host, published, probe, tmp_path):
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    public = key.with_suffix(".pub").read_text().strip()
    host.check_output(
        f"install -d -m 700 /root/.ssh && echo {shlex.quote(public)} >> /root/.ssh/authorized_keys"
    )
    host.check_output("ufw --force reset")
    address = probe["vm"]
    ssh_vars = {
        "ansible_connection": "ssh",
        "ansible_user": "root",
        "ansible_ssh_private_key_file": str(key),
        "ansible_ssh_args": "-o ControlMaster=no -o ControlPath=none",
        "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
        "ansible_python_interpreter": "/usr/bin/python3",
        # The run's own port is allowed even when the variable names another one.
        "firewall_ssh_port": 2222,
        "firewall_published_ports": published,
    }

    run = run_playbook("firewall.yml", ssh_vars, "-i", f"{address},", "--limit", address)

    assert run.rc == 0, run.output[-3000:]
    assert re.search(r"Enable ufw now and at boot\] \**\nchanged:", run.output)
    status = host.check_output("ufw status")
    assert "Status: active" in status
    assert "22/tcp " in status and "2222/tcp " in status


@pytest.mark.disruptive
def test_published_ports_obey_after_the_vm_reboots(client, host, vm_name, published, probe):
    subprocess.run(["docker", "restart", vm_name], check=True, capture_output=True)
    assert wait_until(
        lambda: host.run("systemctl is-system-running").stdout.strip() in ("running", "degraded"),
        90,
    )
    address = vm_address(host)
    assert wait_until(lambda: answers_from(host, address, published[0]["port"]) == "200", 60)

    assert "Status: active" in host.check_output("ufw status")
    assert_published_ports_obey(host, client, published, address)
    assert json.loads(host.check_output(f"docker inspect -f '{{{{json .State.Running}}}}' {PROBE}"))
