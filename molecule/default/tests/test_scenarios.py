"""The lab scenarios as deployed on the lab VM by site.yml: every container of
every manifest in apps/, seen from the VM and from inside the container."""

from __future__ import annotations

import json
import time

import pytest
import yaml
from conftest import LAB_HOSTS, PROJECT, run_playbook

testinfra_hosts = [LAB_HOSTS]

SCENARIOS = ("scenario_0", "scenario_1", "scenario_2", "stress")
MANIFESTS = {
    name: yaml.safe_load((PROJECT / "apps" / name / "scenario.yml").read_text())
    for name in SCENARIOS
}
SERVICES = [service for manifest in MANIFESTS.values() for service in manifest["services"]]
CONTAINERS = [service["container_name"] for service in SERVICES]
PUBLISHED = [s for s in SERVICES if s.get("port") and s.get("publish", s.get("port"))]
APP_UID = 10001


def inspect(host, name: str) -> dict:
    return json.loads(host.check_output(f"docker inspect {name}"))[0]


def status_of_pid_1(host, name: str) -> dict[str, str]:
    """/proc/1/status inside the container: the app's own process."""
    text = host.check_output(f"docker exec {name} cat /proc/1/status")
    return dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)


# Run with the lab VM's own python3: one HTTP request, the answer as JSON.
HTTP = """
import json, sys, urllib.error, urllib.request
method, url, data = sys.argv[1], sys.argv[2], sys.argv[3].encode() or None
headers = {"Content-Type": "application/json"}
request = urllib.request.Request(url, data=data, method=method, headers=headers)
try:
    with urllib.request.urlopen(request, timeout=5) as response:
        status, body = response.status, response.read().decode()
except urllib.error.HTTPError as error:
    status, body = error.code, error.read().decode()
print(json.dumps({"status": status, "body": body}))
"""

# Starts threads until the pids limit refuses one, and says how many started.
THREADS = """
import threading, time
started = 0
try:
    for _ in range(300):
        threading.Thread(target=time.sleep, args=(5,), daemon=True).start()
        started += 1
except RuntimeError:
    pass
print(started)
"""


def http(host, method: str, url: str, data: str = "") -> tuple[int, str]:
    """An HTTP request made from the lab VM itself."""
    answer = json.loads(host.check_output("python3 -c %s %s %s %s", HTTP, method, url, data))
    return answer["status"], answer["body"]


def wait_healthy(host, names: list[str], seconds: int = 120) -> None:
    deadline = time.monotonic() + seconds
    pending = list(names)
    while pending and time.monotonic() < deadline:
        pending = [n for n in pending if container_health(host, n) not in ("healthy", "none")]
        time.sleep(2)
    assert not pending, f"not healthy in {seconds}s: {pending}"


def container_health(host, name: str) -> str:
    state = inspect(host, name)["State"]
    if not state["Running"]:
        return "stopped"
    return (state.get("Health") or {}).get("Status", "none")


@pytest.mark.parametrize("name", CONTAINERS)
def test_container_runs_healthy(host, name):
    state = inspect(host, name)["State"]

    assert state["Running"] and not state["Restarting"]
    assert (state.get("Health") or {}).get("Status", "healthy") == "healthy"


@pytest.mark.parametrize("name", CONTAINERS)
def test_app_process_runs_as_non_root_without_capabilities_or_new_privileges(host, name):
    status = status_of_pid_1(host, name)

    assert status["Uid"].split()[0] == str(APP_UID)
    assert status["Gid"].split()[0] == str(APP_UID)
    assert int(status["CapEff"], 16) == 0
    assert int(status["CapPrm"], 16) == 0
    assert status["NoNewPrivs"].strip() == "1"


@pytest.mark.parametrize("name", CONTAINERS)
def test_root_filesystem_is_read_only_and_tmp_writable(host, name):
    denied = host.run(f"docker exec {name} touch /probe-write")
    allowed = host.run(f"docker exec {name} touch /tmp/probe-write")

    assert denied.rc != 0 and "Read-only file system" in denied.stderr
    assert allowed.rc == 0


@pytest.mark.parametrize("name", CONTAINERS)
def test_cgroup_limits_are_the_baseline(host, name):
    def cgroup(path: str) -> int:
        return int(host.check_output(f"docker exec {name} cat /sys/fs/cgroup/{path}"))

    assert cgroup("memory/memory.limit_in_bytes") == 256 * 1024**2
    assert cgroup("memory/memory.memsw.limit_in_bytes") == 256 * 1024**2
    assert cgroup("cpu/cpu.cfs_quota_us") * 2 == cgroup("cpu/cpu.cfs_period_us")
    assert cgroup("pids/pids.max") == 128


def test_memory_limit_holds_when_a_process_wants_more(host):
    grab = host.run(
        "docker exec simple-app python3 -c 'b = bytearray(400 * 1024 * 1024); print(len(b))'"
    )

    assert grab.rc != 0, "a 400 MiB allocation succeeded under a 256m limit"
    wait_healthy(host, ["simple-app"])


def test_pids_limit_holds_when_a_process_starts_many_threads(host):
    started = int(host.check_output("docker exec simple-app python3 -c %s", THREADS))

    assert started < 128


def test_cpu_limit_holds_for_a_busy_stress_run(host):
    def used() -> int:
        return int(
            host.check_output("docker exec docker-stress cat /sys/fs/cgroup/cpuacct/cpuacct.usage")
        )

    before, started = used(), time.monotonic()
    host.check_output("docker exec docker-stress stress-ng --cpu 2 --timeout 4s --quiet")
    seconds = time.monotonic() - started
    cpu_seconds = (used() - before) / 1e9

    assert cpu_seconds <= 0.5 * seconds * 1.15, f"{cpu_seconds:.2f} CPU-s in {seconds:.1f}s"


@pytest.mark.parametrize("service", PUBLISHED, ids=[s["container_name"] for s in PUBLISHED])
def test_published_port_answers_over_http_from_the_vm_on_loopback_only(host, service):
    publish = service.get("publish", service["port"])

    status, _ = http(host, "GET", f"http://127.0.0.1:{publish}{service['health_path']}")
    bindings = inspect(host, service["container_name"])["HostConfig"]["PortBindings"]

    assert status == 200
    assert [b["HostIp"] for b in bindings[f"{service['port']}/tcp"]] == ["127.0.0.1"]


@pytest.mark.parametrize("name", CONTAINERS)
def test_container_output_goes_to_a_rotated_json_log_file_on_the_vm(host, name):
    attrs = inspect(host, name)

    assert attrs["HostConfig"]["LogConfig"] == {
        "Type": "json-file",
        "Config": {"max-file": "3", "max-size": "10m"},
    }
    assert host.file(attrs["LogPath"]).is_file


# The apps log every request but their health checks, so the test asks for a page.
@pytest.mark.parametrize(
    ("name", "publish", "path"),
    [("scenario2-backend", 5200, "/posts"), ("scenario2-frontend", 80, "/")],
)
def test_scenario_2_request_logs_are_files_in_the_vm_s_log_directory(host, name, publish, path):
    http(host, "GET", f"http://127.0.0.1:{publish}{path}")
    log_dir = host.file(f"/var/log/devopslab/{name}")

    files = host.check_output(f"find {log_dir.path} -type f -name '*.log'").split()

    assert log_dir.is_directory and log_dir.uid == APP_UID and log_dir.mode == 0o750
    assert files, f"no log files in {log_dir.path}"
    assert f"method=GET path={path} status=200" in host.check_output(f"cat {' '.join(files)}")


def test_scenario_2_secret_is_a_private_file_mounted_read_only(host):
    secret = host.file("/etc/devopslab/secrets/scenario2-frontend/secret_key")
    mounts = inspect(host, "scenario2-frontend")["Mounts"]

    assert (secret.user, secret.gid, secret.mode) == ("root", APP_UID, 0o440)
    assert [m["RW"] for m in mounts if m["Destination"] == "/run/secrets/secret_key"] == [False]


def test_all_containers_share_the_network_with_the_fixed_bridge(host):
    network = json.loads(host.check_output("docker network inspect devopslab"))[0]

    assert network["Options"]["com.docker.network.bridge.name"] == "br-devopslab"
    assert host.interface("br-devopslab").exists
    assert sorted(c["Name"] for c in network["Containers"].values()) == sorted(CONTAINERS)


@pytest.mark.parametrize(
    "overrides",
    [{"scenario_9": {"memory": "512m"}}, {"scenario_1": "512m"}],
    ids=["unknown scenario", "settings that are not a mapping"],
)
def test_bad_overrides_fail_naming_the_scenario_and_change_nothing(host, overrides):
    ids = host.check_output("docker ps -aq --no-trunc | sort")

    run = run_playbook(
        "scenarios.yml", {"lab_scenarios_overrides": overrides}, "--tags", "scenario_1"
    )

    assert run.rc != 0
    assert "lab_scenarios_overrides must map scenarios" in run.output, run.output[-2000:]
    assert f"not valid: {next(iter(overrides))}" in run.output
    assert host.check_output("docker ps -aq --no-trunc | sort") == ids


@pytest.mark.disruptive
def test_scenario_2_posts_survive_removal_prune_and_an_engine_restart(host):
    posts = [{"title": f"kept {n}", "content": f"written before the purge, {n}"} for n in range(5)]
    ids = []
    for post in posts:
        status, body = http(host, "POST", "http://127.0.0.1:5200/posts", json.dumps(post))
        assert status == 201, body
        ids.append(json.loads(body)["id"])

    host.check_output("docker rm -f scenario2-frontend scenario2-backend")
    host.check_output("docker system prune -af")
    host.check_output("systemctl restart docker")
    run = run_playbook("scenarios.yml", {}, "--tags", "scenario_2")

    assert run.rc == 0, run.output[-3000:]
    wait_healthy(host, CONTAINERS)
    for post_id, post in zip(ids, posts, strict=True):
        status, body = http(host, "GET", f"http://127.0.0.1:5200/posts/{post_id}")
        assert status == 200, body
        assert {k: json.loads(body)[k] for k in ("title", "content")} == post
