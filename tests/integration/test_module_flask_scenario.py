"""devopslab.docker_lab.flask_scenario against this machine's real Docker engine.

A two-service stand-in scenario (tests/integration/fixtures/tinyapp) is deployed
under a random prefix; each test reads the engine and the apps over HTTP. The
tests run in file order: deploy, redeploy, change, break, restart, remove.
"""

from __future__ import annotations

import json
import shutil
import socket
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from ansible_collections.devopslab.docker_lab.plugins.module_utils.hardening import (  # noqa: E402
    APP_GID,
    APP_UID,
    BASELINE,
)
from module_runner import base_image, engine, engine_snapshot, run_module  # noqa: E402

MODULE = "devopslab.docker_lab.flask_scenario"
FIXTURE = Path(__file__).parent / "fixtures" / "tinyapp"
BASE_IMAGE = base_image()

pytestmark = pytest.mark.skipif(
    shutil.which("docker") is None, reason="needs the host's Docker engine (make engine)"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A copy of the stand-in scenario with this run's names and ports, and its cleanup."""
    prefix = "dlmt" + uuid.uuid4().hex[:6]
    root = tmp_path_factory.mktemp(prefix)
    src = root / "scenario"
    shutil.copytree(FIXTURE, src)
    manifest = yaml.safe_load((src / "scenario.yml").read_text())
    ports = {}
    for service in manifest["services"]:
        service["container_name"] = f"{prefix}-{service['name']}"
        ports[service["name"]] = service["port"] = service["publish"] = free_port()
    (src / "scenario.yml").write_text(yaml.safe_dump(manifest))
    args = {
        "name": prefix,
        "src": str(src),
        "base_image": BASE_IMAGE,
        "image_prefix": prefix,
        "network": f"{prefix}-net",
        "network_bridge": f"br-{prefix}",
        "log_root": str(root / "logs"),
        "secrets_root": str(root / "secrets"),
        "health_timeout": 60,
    }
    client = engine()
    yield {"prefix": prefix, "root": root, "args": args, "ports": ports, "client": client}
    cleanup(client, prefix)


def cleanup(client, prefix: str) -> None:
    for container in client.containers.list(
        all=True, filters={"label": f"devopslab.scenario={prefix}"}
    ):
        container.remove(force=True)
    for volume in client.volumes.list(filters={"label": f"devopslab.scenario={prefix}"}):
        volume.remove(force=True)
    for network in client.networks.list(names=[f"{prefix}-net"]):
        network.remove()
    for image in client.images.list():
        for tag in image.tags:
            if tag.startswith(f"{prefix}/"):
                client.images.remove(tag)


def containers(lab) -> dict:
    names = [f"{lab['prefix']}-api", f"{lab['prefix']}-web"]
    return {name: lab["client"].containers.get(name).attrs for name in names}


def ids_and_starts(lab) -> dict:
    return {n: (c["Id"], c["State"]["StartedAt"]) for n, c in containers(lab).items()}


def test_check_mode_on_a_fresh_engine_reports_changes_and_makes_none(lab):
    result = run_module(MODULE, lab["args"], check=True, diff=True)

    assert result["changed"] is True, result
    assert sorted(result["built"]) == sorted(
        f"{lab['prefix']}/{lab['prefix']}-{s}:1.0.0" for s in ("api", "web")
    )
    assert result["diff"]["after"][f"{lab['prefix']}-api"]["user"] == BASELINE["user"]
    assert engine_snapshot(lab["client"], lab["prefix"]) == {
        "containers": [],
        "volumes": [],
        "networks": [],
        "images": [],
    }
    assert not (lab["root"] / "logs").exists()


def test_deploy_runs_every_service_hardened_healthy_and_answering(lab):
    result = run_module(MODULE, lab["args"])

    assert result["changed"] is True, result.get("msg")
    assert [c["health"] for c in result["containers"]] == ["healthy", "healthy"]
    for name, attrs in containers(lab).items():
        host = attrs["HostConfig"]
        assert attrs["Config"]["User"] == BASELINE["user"]
        assert host["ReadonlyRootfs"] is True
        assert host["CapDrop"] == ["ALL"] and not host["CapAdd"]
        assert "no-new-privileges" in host["SecurityOpt"]
        assert host["Memory"] == host["MemorySwap"] == 256 * 1024**2
        assert host["NanoCpus"] == int(BASELINE["cpus"] * 1e9)
        assert host["PidsLimit"] == BASELINE["pids_limit"]
        assert host["RestartPolicy"]["Name"] == BASELINE["restart_policy"]
        assert host["LogConfig"]["Config"] == BASELINE["log_options"]
        assert host["Tmpfs"] == BASELINE["tmpfs"]
        bindings = [b for bs in host["PortBindings"].values() for b in bs]
        assert {b["HostIp"] for b in bindings} == {"127.0.0.1"}, name
        assert attrs["State"]["Health"]["Status"] == "healthy"
    assert get(f"http://127.0.0.1:{lab['ports']['api']}/health")[0] == 200
    assert get(f"http://127.0.0.1:{lab['ports']['web']}/") == (200, "secret readable")


def test_deploy_writes_request_logs_to_the_host_and_makes_the_secret_private(lab):
    get(f"http://127.0.0.1:{lab['ports']['api']}/items")

    log_dir = lab["root"] / "logs" / f"{lab['prefix']}-api"
    assert (log_dir.stat().st_uid, log_dir.stat().st_gid) == (APP_UID, APP_GID)
    assert "GET /items" in (log_dir / "requests.log").read_text()
    secret = lab["root"] / "secrets" / f"{lab['prefix']}-web" / "secret_key"
    assert (secret.stat().st_uid, secret.stat().st_gid, secret.stat().st_mode & 0o777) == (
        0,
        APP_GID,
        0o440,
    )
    assert len(secret.read_text().strip()) >= 32


def test_redeploy_unchanged_changes_nothing_and_keeps_the_containers(lab):
    before = ids_and_starts(lab)

    result = run_module(MODULE, lab["args"], diff=True)

    assert result["changed"] is False, result["diff"]
    assert result["built"] == [] and result["recreated"] == []
    assert ids_and_starts(lab) == before


def test_check_mode_diff_shows_a_changed_port_and_leaves_the_container(lab):
    before = ids_and_starts(lab)
    new_port = free_port()
    args = dict(lab["args"], ports={"web": new_port})

    result = run_module(MODULE, args, check=True, diff=True)

    web = f"{lab['prefix']}-web"
    assert result["changed"] is True and result["recreated"] == [web]
    assert result["diff"]["before"][web] == {
        "ports": {f"{lab['ports']['web']}/tcp": [f"127.0.0.1:{lab['ports']['web']}"]}
    }
    assert result["diff"]["after"][web] == {
        "ports": {f"{lab['ports']['web']}/tcp": [f"127.0.0.1:{new_port}"]}
    }
    assert ids_and_starts(lab) == before


def test_check_mode_diff_shows_variables_from_env_file_under_env(lab):
    env_file = lab["root"] / "app.env"
    env_file.write_text("# lab settings\nENV=staging\nLOG_LEVEL=debug\n")
    args = dict(lab["args"], env_file=str(env_file), env={"ENV": "prod"})

    result = run_module(MODULE, args, check=True, diff=True)

    for name in (f"{lab['prefix']}-api", f"{lab['prefix']}-web"):
        after = result["diff"]["after"][name]["env"]
        assert after["ENV"] == "prod" and after["LOG_LEVEL"] == "debug"
        assert "LOG_LEVEL" not in result["diff"]["before"][name]["env"]
    assert result["changed"] is True


def test_changing_one_setting_recreates_that_container_only(lab):
    before = ids_and_starts(lab)
    new_port = free_port()

    result = run_module(MODULE, dict(lab["args"], ports={"web": new_port}))

    api, web = f"{lab['prefix']}-api", f"{lab['prefix']}-web"
    after = ids_and_starts(lab)
    assert result["changed"] is True and result["recreated"] == [web], result.get("msg")
    assert after[api] == before[api]
    assert after[web][0] != before[web][0]
    assert get(f"http://127.0.0.1:{new_port}/")[0] == 200
    lab["args"]["ports"] = {"web": new_port}


def test_root_written_volume_is_handed_to_the_app_user(lab):
    volume = f"{lab['prefix']}-api-data"
    lab["client"].containers.run(
        BASE_IMAGE,
        ["sh", "-c", "touch /data/old-root-file && chown -R 0:0 /data"],
        user="0:0",
        volumes={volume: {"bind": "/data"}},
        remove=True,
        network_mode="none",
    )

    result = run_module(MODULE, dict(lab["args"], version="1.0.1"))

    assert result["changed"] is True, result.get("msg")
    fixed = {line.split(":", 1)[1] for line in result["ownership_fixed"]}
    assert {"/data/items.db-wal", "/data/items.db-shm", "/data/old-root-file"} <= fixed
    owners = (
        lab["client"]
        .containers.run(
            BASE_IMAGE,
            ["sh", "-c", "stat -c '%u:%g %n' /data /data/*"],
            volumes={volume: {"bind": "/data"}},
            remove=True,
            network_mode="none",
        )
        .decode()
        .split("\n")
    )
    assert {line.split()[0] for line in owners if line} == {f"{APP_UID}:{APP_GID}"}
    lab["args"]["version"] = "1.0.1"


def test_broken_health_check_rolls_back_and_keeps_the_data(lab):
    api_url = f"http://127.0.0.1:{lab['ports']['api']}/items"
    urllib.request.urlopen(urllib.request.Request(api_url, data=b"", method="POST"), timeout=5)
    stored = json.loads(get(api_url)[1])["count"]
    before = ids_and_starts(lab)

    result = run_module(MODULE, dict(lab["args"], env={"FAIL_HEALTH": "1"}))

    assert result.get("failed") is True and result["rolled_back"] is True
    assert "unhealthy" in result["msg"] and "rolled back" in result["msg"]
    assert result["health_log"], "the failure carries the health log"
    assert {name: ident for name, (ident, _) in ids_and_starts(lab).items()} == {
        name: ident for name, (ident, _) in before.items()
    }
    assert json.loads(get(api_url)[1])["count"] == stored >= 1
    assert not [c for c in lab["client"].containers.list(all=True) if c.name.endswith("-previous")]


def test_a_swap_cut_short_by_the_engine_rolls_back_and_keeps_the_data(lab):
    """Another container takes the name between the old one's rename and the new one's
    creation, so the engine refuses to create it: the old container must come back."""
    api = f"{lab['prefix']}-api"
    api_url = f"http://127.0.0.1:{lab['ports']['api']}/items"
    stored = json.loads(get(api_url)[1])["count"]
    before = ids_and_starts(lab)
    squatted = threading.Event()

    def squat_on_the_name() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if lab["client"].containers.list(all=True, filters={"name": f"^/{api}-previous$"}):
                lab["client"].containers.create(BASE_IMAGE, ["true"], name=api,
                                                labels={"devopslab.scenario": lab["prefix"]})
                squatted.set()
                return
            time.sleep(0.02)

    squatter = threading.Thread(target=squat_on_the_name)
    squatter.start()
    result = run_module(MODULE, dict(lab["args"], env={"SWAP": "cut-short"}))
    squatter.join()

    assert squatted.is_set(), "the swap never renamed the old container"
    assert result.get("failed") is True and result["rolled_back"] is True, result.get("msg")
    assert "rolled back" in result["msg"]
    assert {name: ident for name, (ident, _) in ids_and_starts(lab).items()} == {
        name: ident for name, (ident, _) in before.items()
    }
    assert json.loads(get(api_url)[1])["count"] == stored
    assert not [c for c in lab["client"].containers.list(all=True) if c.name.endswith("-previous")]


def test_apparmor_profile_not_loaded_falls_back_to_docker_default_with_a_warning(lab):
    result = run_module(
        MODULE, dict(lab["args"], apparmor_profile="devopslab-{container}"), check=True
    )

    assert any("AppArmor" in warning for warning in result.get("warnings", [])), result
    assert result["changed"] is False
    for attrs in containers(lab).values():
        assert "apparmor=docker-default" in attrs["HostConfig"]["SecurityOpt"]


def test_restarted_restarts_every_container(lab):
    before = ids_and_starts(lab)

    result = run_module(MODULE, dict(lab["args"], state="restarted"))

    after = ids_and_starts(lab)
    assert result["changed"] is True, result.get("msg")
    for name in before:
        assert after[name][0] == before[name][0]
        assert after[name][1] != before[name][1]


def test_a_swap_cut_short_is_repaired_by_the_next_run(lab):
    api = f"{lab['prefix']}-api"
    before = ids_and_starts(lab)[api][0]
    container = lab["client"].containers.get(api)
    container.stop(timeout=2)
    container.rename(f"{api}-previous")

    result = run_module(MODULE, lab["args"])

    assert result["changed"] is True, result.get("msg")
    assert ids_and_starts(lab)[api][0] == before
    assert [c["health"] for c in result["containers"]] == ["healthy", "healthy"]
    assert not lab["client"].containers.list(all=True, filters={"name": f"{api}-previous"})


def test_a_service_dropped_from_the_manifest_is_removed(lab):
    manifest_file = Path(lab["args"]["src"]) / "scenario.yml"
    manifest = manifest_file.read_text()
    services = yaml.safe_load(manifest)
    services["services"] = services["services"][:1]
    manifest_file.write_text(yaml.safe_dump(services))
    try:
        result = run_module(MODULE, dict(lab["args"], ports={}))
    finally:
        manifest_file.write_text(manifest)

    assert result["changed"] is True, result.get("msg")
    assert result["removed"] == [f"{lab['prefix']}-web"]
    assert not lab["client"].containers.list(all=True, filters={"name": f"{lab['prefix']}-web"})
    assert run_module(MODULE, lab["args"])["recreated"] == [f"{lab['prefix']}-web"]


def test_absent_removes_the_containers_and_keeps_the_data_volume(lab):
    result = run_module(MODULE, {"name": lab["prefix"], "state": "absent"})

    snapshot = engine_snapshot(lab["client"], lab["prefix"])
    assert result["changed"] is True
    assert result["removed"] == [f"{lab['prefix']}-web", f"{lab['prefix']}-api"]
    assert snapshot["containers"] == []
    assert snapshot["volumes"] == [f"{lab['prefix']}-api-data"]


def test_absent_with_remove_data_removes_the_volume_then_changes_nothing(lab):
    args = {"name": lab["prefix"], "state": "absent", "remove_data": True}

    first, second = run_module(MODULE, args), run_module(MODULE, args)

    assert first["changed"] is True and second["changed"] is False
    assert engine_snapshot(lab["client"], lab["prefix"])["volumes"] == []
