"""What a service's container should be, from the manifest and the options."""

from __future__ import annotations

import pytest
from ansible_collections.devopslab.docker_lab.plugins.module_utils._spec import (
    differences,
    normalize_container,
)
from ansible_collections.devopslab.docker_lab.plugins.module_utils._wanted import HTTP_PROBE, Wanted
from ansible_collections.devopslab.docker_lab.plugins.module_utils.hardening import BASELINE

LIMITS = {"memory": 256 * 1024**2, "memory_swap": 256 * 1024**2, "nano_cpus": 500_000_000}


def service(**changes) -> dict:
    base = {
        "name": "frontend",
        "container_name": "scenario2-frontend",
        "port": 8080,
        "publish": 80,
        "data_dir": None,
        "log_dir": "/var/log/app",
        "secrets": ["secret_key"],
        "env": {"ENV": "prod", "PORT": "8080"},
        "health_path": "/api/healthcheck",
        "command": None,
    }
    base.update(changes)
    return base


IMAGE = {
    "Id": "sha256:feed",
    "Config": {
        "Env": ["PATH=/opt/venv/bin:/usr/bin", "ENV=dev"],
        "Cmd": ["gunicorn", "app:create_app()"],
        "Labels": {"version": "2.0.0"},
        "Healthcheck": {"Test": ["CMD", "python3", "-c", "pass"], "Interval": 5_000_000_000},
    },
}


@pytest.fixture
def wanted(scenario_params):
    """A Wanted for the default options with the changes a test asks for."""

    def make(ports=None, env=None, apparmor=lambda name: "docker-default", **changes) -> Wanted:
        return Wanted(scenario_params(**changes), dict(LIMITS), ports or {}, env or {}, apparmor)

    return make


def test_environment_layers_port_secrets_manifest_then_options(wanted):
    env = wanted(env={"ENV": "staging"}).environment(service())

    assert env == {
        "PORT": "8080",
        "SECRET_KEY_FILE": "/run/secrets/secret_key",
        "ENV": "staging",
    }


@pytest.mark.parametrize(
    ("ports", "svc", "published"),
    [
        ({}, service(), 80),
        ({"frontend": 8081}, service(), 8081),
        ({"frontend": None}, service(), None),
        ({}, service(publish=None), None),
        ({"frontend": 9000}, service(port=None, publish=None), None),
    ],
)
def test_published_port_comes_from_the_ports_option_over_the_manifest(
    wanted, ports, svc, published
):
    assert wanted(ports=ports).publish(svc) == published


def test_a_wildcard_bind_address_is_probed_on_loopback(wanted):
    probe = wanted(bind_address="0.0.0.0").probe_url(service())

    assert probe == "http://127.0.0.1:80/api/healthcheck"


def test_mounts_are_the_log_directory_the_secret_read_only_and_the_data_volume(wanted):
    mounts = wanted().mounts(service(data_dir="/data"))

    assert mounts == [
        {"Type": "volume", "Source": "scenario2-frontend-data", "Target": "/data"},
        {
            "Type": "bind",
            "Source": "/var/log/devopslab/scenario2-frontend",
            "Target": "/var/log/app",
        },
        {
            "Type": "bind",
            "Source": "/etc/devopslab/secrets/scenario2-frontend/secret_key",
            "Target": "/run/secrets/secret_key",
            "ReadOnly": True,
        },
    ]


def test_the_image_s_own_health_check_is_kept(wanted):
    assert wanted().healthcheck(service(), IMAGE) == IMAGE["Config"]["Healthcheck"]


def test_an_image_without_a_health_check_gets_an_http_probe_of_health_path(wanted):
    image = {"Id": "x", "Config": {"Healthcheck": {"Test": ["NONE"]}}}

    check = wanted().healthcheck(service(), image)

    assert check["Test"] == ["CMD", "python3", "-c", HTTP_PROBE, "8080", "/api/healthcheck"]


def test_a_service_without_a_port_keeps_no_health_check(wanted):
    assert wanted().healthcheck(service(port=None, health_path=None), {"Config": {}}) is None


def test_relaxations_show_in_the_host_config(wanted):
    fields = wanted(
        read_only=False, cap_add=["NET_BIND_SERVICE"], no_new_privileges=False
    ).host_config(service())

    assert fields["ReadonlyRootfs"] is False
    assert fields["CapAdd"] == ["NET_BIND_SERVICE"] and fields["CapDrop"] == ["ALL"]
    assert fields["SecurityOpt"] == ["apparmor=docker-default"]


def test_the_named_apparmor_profile_is_used_when_the_resolver_gives_it(wanted):
    fields = wanted(apparmor=lambda name: f"devopslab-{name}").host_config(service())

    assert "apparmor=devopslab-scenario2-frontend" in fields["SecurityOpt"]


def test_the_spec_matches_a_container_the_engine_made_from_it(wanted):
    w = wanted()
    spec = w.spec(service(), IMAGE)
    engine_view = {
        "Image": "sha256:feed",
        "Config": {
            "User": BASELINE["user"],
            # The engine merges the image's env and labels into the container's.
            "Env": [
                "PATH=/opt/venv/bin:/usr/bin",
                "ENV=prod",
                "PORT=8080",
                "SECRET_KEY_FILE=/run/secrets/secret_key",
            ],
            "Cmd": ["gunicorn", "app:create_app()"],
            "Labels": {"version": "2.0.0", **w.labels(service())},
            "Healthcheck": IMAGE["Config"]["Healthcheck"],
        },
        "HostConfig": dict(
            w.host_config(service()),
            SecurityOpt=["no-new-privileges:true", "apparmor:docker-default"],
            PortBindings={"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": "80"}]},
        ),
        "NetworkSettings": {"Networks": {"devopslab": {"IPAddress": "172.18.0.5"}}},
    }

    assert differences(spec, normalize_container(engine_view)) == []
