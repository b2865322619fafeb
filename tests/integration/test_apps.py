"""The lab images built on the host's engine and run under the hardening baseline as-is.

scenario_2's own story (persistence, logs, secrets, a volume written by root) is in
test_apps_scenario2.py; the static contract of apps/ is in test_apps_layout.py.
"""

from __future__ import annotations

import json
import re
import shutil
import tarfile

import pytest
from ansible_collections.devopslab.docker_lab.plugins.module_utils.hardening import (
    APP_GID,
    APP_UID,
    BASELINE,
)


def test_every_image_runs_as_the_app_user_with_a_version_and_a_curl_free_health_check(
    apps_engine, apps_images
):
    for name, tag in apps_images.items():
        config = apps_engine.inspect(tag)["Config"]

        assert config["User"] == f"{APP_UID}:{APP_GID}", name
        assert re.fullmatch(r"\d+\.\d+\.\d+", config["Labels"]["version"]), name
        health = config["Healthcheck"]["Test"]
        if name == "stress":
            assert health == ["NONE"]
        else:
            assert health[:3] == ["CMD", "python3", "-c"] and "curl" not in " ".join(health)


def test_scenario0_answers_and_cannot_write_its_own_filesystem(apps_engine, apps_images):
    name = apps_engine.run("itest-apps-s0", apps_images["scenario0"], "-p", "127.0.0.1::8000")
    apps_engine.wait_healthy(name)

    status, body = apps_engine.request(apps_engine.url(name, 8000) + "/")
    write = apps_engine.docker_result("exec", name, "touch", "/app/new-file")

    assert status == 200
    assert json.loads(body) == {
        "message": "Hello from simple-app", "hostname": apps_engine.inspect(name)["Id"][:12],
    }
    assert apps_engine.docker("exec", name, "id", "-u") == str(APP_UID)
    assert write.returncode != 0 and "Read-only file system" in write.stderr


def test_the_engine_applies_every_baseline_setting(apps_engine, apps_images):
    name = apps_engine.run("itest-apps-s0-inspect", apps_images["scenario0"])
    host = apps_engine.inspect(name)["HostConfig"]

    apps_engine.remove(name)
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == BASELINE["cap_drop"]
    assert host["SecurityOpt"] == BASELINE["security_opt"]
    assert host["Memory"] == host["MemorySwap"] == 256 * 1024 * 1024
    assert host["NanoCpus"] == int(BASELINE["cpus"] * 1e9)
    assert host["PidsLimit"] == BASELINE["pids_limit"]
    assert list(host["Tmpfs"]) == list(BASELINE["tmpfs"])


@pytest.mark.parametrize("name", ["scenario2-backend", "scenario2-frontend"])
def test_multi_stage_images_carry_no_pip_and_no_compiler(apps_engine, apps_images, name):
    probe = apps_engine.docker_result(
        "run", "--rm", "--network", "none", "--entrypoint", "sh", apps_images[name], "-c",
        "python3 -m pip --version || command -v gcc cc || ls -d /root/.cache/pip",
    )

    assert probe.returncode != 0
    assert "No module named pip" in probe.stderr


def test_a_code_change_rebuilds_only_the_code_layer(apps_engine, apps_images, apps_dir, tmp_path):
    context = tmp_path / "backend"
    shutil.copytree(apps_dir / "scenario_2" / "backend", context)
    before = apps_engine.inspect(apps_engine.build(context, "itest-apps/layers:before"))
    with open(context / "store.py", "a", encoding="utf-8") as store:
        store.write("# a one-line change\n")

    after = apps_engine.inspect(apps_engine.build(context, "itest-apps/layers:after"))
    apps_engine.docker("rmi", "itest-apps/layers:before", "itest-apps/layers:after")

    old_layers, new_layers = before["RootFS"]["Layers"], after["RootFS"]["Layers"]
    assert len(old_layers) == len(new_layers)
    assert old_layers[:-1] == new_layers[:-1] and old_layers[-1] != new_layers[-1]


@pytest.fixture(scope="module")
def scenario1(apps_engine, apps_images, apps_dir):
    """scenario_1's pair on a user-defined network, the frontend reaching the backend by name."""
    network = apps_engine.network("itest-apps-s1-net")
    volume = apps_engine.volume("itest-apps-s1-data")
    backend = apps_engine.run(
        "itest-apps-s1-backend", apps_images["scenario1-backend"], "--network", network,
        "-v", f"{volume}:/data", "-p", "127.0.0.1::5100",
    )
    frontend = apps_engine.run(
        "itest-apps-s1-frontend", apps_images["scenario1-frontend"], "--network", network,
        "--env-file", str(apps_dir / "scenario_1" / "example.env"),
        "-e", f"BACKEND_URL=http://{backend}:5100", "-p", "127.0.0.1::8080",
    )
    apps_engine.wait_healthy(backend)
    apps_engine.wait_healthy(frontend)
    yield apps_engine.url(backend, 5100), apps_engine.url(frontend, 8080), frontend
    apps_engine.remove(frontend, backend, volume, network)


def test_scenario1_frontend_lists_what_the_backend_stores_escaped(apps_engine, scenario1):
    backend_url, frontend_url, _ = scenario1
    post = json.dumps({"title": "<script>alert(1)</script>", "content": "from the API"}).encode()

    created, _ = apps_engine.request(f"{backend_url}/posts", post,
                                     {"Content-Type": "application/json"})
    status, page = apps_engine.request(f"{frontend_url}/")

    assert (created, status) == (201, 200)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert '<strong id="env">dev</strong>' in page


def test_scenario1_env_file_values_are_in_the_container(apps_engine, scenario1):
    frontend = scenario1[2]

    assert apps_engine.docker("exec", frontend, "sh", "-c", 'echo "$ENV"') == "dev"


def test_scenario1_backend_refuses_bad_input_over_real_http(apps_engine, scenario1):
    backend_url = scenario1[0]

    status, body = apps_engine.request(f"{backend_url}/posts", b"{not json",
                                       {"Content-Type": "application/json"})

    assert status == 400 and "not valid JSON" in json.loads(body)["error"]


def test_stress_runs_as_the_app_user_held_to_half_a_cpu(apps_engine, apps_images):
    # A one-off run: under the baseline's unless-stopped policy it would start over at its end.
    once = dict(BASELINE, restart_policy="no")
    work = "var=--cpu 2 --timeout 4s --metrics-brief"
    name = apps_engine.run("itest-apps-stress", apps_images["stress"], "-e", work, baseline=once)

    exit_code = apps_engine.docker("wait", name, timeout=60)
    logs = apps_engine.docker_result("logs", name).stderr

    apps_engine.remove(name)
    assert exit_code == "0", logs
    assert "successful run completed" in logs
    real, user, system = (float(v) for v in re.search(
        r"metrc: \[\d+\] cpu\s+\d+\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", logs).groups())
    # Two busy workers would use two CPUs unlimited; the baseline allows half of one.
    assert (user + system) / real <= BASELINE["cpus"] * 1.3, logs


@pytest.mark.parametrize(("megabytes", "killed"), [(128, False), (400, True)])
def test_stress_past_the_memory_limit_is_killed_by_the_kernel(
    apps_engine, apps_images, megabytes, killed
):
    once = dict(BASELINE, restart_policy="no")
    work = f"var=--vm 1 --vm-bytes {megabytes}M --timeout 3s --metrics-brief -v"
    name = apps_engine.run(f"itest-apps-stress-{megabytes}", apps_images["stress"], "-e", work,
                           baseline=once)

    exit_code = apps_engine.docker("wait", name, timeout=60)
    logs = apps_engine.docker_result("logs", name).stderr
    apps_engine.remove(name)

    bogo_ops = int(re.search(r"metrc: \[\d+\] vm\s+(\d+)", logs).group(1))
    assert exit_code == "0", logs
    assert ("assuming killed by OOM killer" in logs) is killed
    assert (bogo_ops == 0) is killed


def test_a_secret_left_in_the_build_context_never_reaches_the_image(
    apps_engine, apps_images, apps_dir, tmp_path
):
    secret = "itest-apps-secret-7c1e5f"
    context = tmp_path / "frontend"
    shutil.copytree(apps_dir / "scenario_2" / "frontend", context)
    for leak in ("secret_key", ".env", "secrets/secret_key", "tests/secret.txt"):
        (context / leak).parent.mkdir(exist_ok=True)
        (context / leak).write_text(f"SECRET_KEY={secret}\n")
    tag = apps_engine.build(context, "itest-apps/secret-scan:test")
    archive = tmp_path / "image.tar"

    apps_engine.docker("save", "-o", str(archive), tag)
    found = bytes_in_image(archive, [secret.encode(), b"SECRET_KEY_FILE"])
    history = apps_engine.docker("history", "--no-trunc", tag)

    assert found == {secret.encode(): False, b"SECRET_KEY_FILE": True}
    assert secret not in history and secret not in json.dumps(apps_engine.inspect(tag))
    apps_engine.docker("rmi", tag)


def bytes_in_image(archive, needles: list[bytes]) -> dict[bytes, bool]:
    """Which needles occur in any file of a `docker save` archive, layer archives included."""
    found = dict.fromkeys(needles, False)
    with tarfile.open(archive) as image:
        for member in image.getmembers():
            if not member.isfile():
                continue
            data = image.extractfile(member).read()
            for needle in needles:
                found[needle] |= needle in data
    return found
