"""What counts as a difference between a wanted container and a running one."""

from __future__ import annotations

import pytest
from ansible_collections.devopslab.docker_lab.plugins.module_utils._spec import (
    SPEC_KEYS,
    capabilities,
    differences,
    mount_list,
    normalize_container,
    parse_size,
    port_bindings,
    security_options,
)


def inspect(**host) -> dict:
    """A minimal `docker inspect` document with HostConfig overrides."""
    host_config = {
        "ReadonlyRootfs": True,
        "CapDrop": ["ALL"],
        "SecurityOpt": ["no-new-privileges", "apparmor=docker-default"],
        "Memory": 268435456,
        "MemorySwap": 268435456,
        "NanoCpus": 500000000,
        "PidsLimit": 128,
        "RestartPolicy": {"Name": "unless-stopped", "MaximumRetryCount": 0},
        "LogConfig": {"Type": "json-file", "Config": {"max-size": "10m", "max-file": "3"}},
        "PortBindings": {"8000/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8000"}]},
        "Mounts": [{"Type": "volume", "Source": "app-data", "Target": "/data"}],
        "Tmpfs": {"/tmp": "rw,noexec"},
    }
    host_config.update(host)
    return {
        "Image": "sha256:abc",
        "Config": {"User": "10001:10001", "Env": ["PORT=8000"], "Cmd": ["python3", "app.py"]},
        "HostConfig": host_config,
        "NetworkSettings": {"Networks": {"devopslab": {}}},
    }


@pytest.mark.parametrize(
    ("text", "size"),
    [("256m", 256 * 1024**2), ("1g", 1024**3), ("1G", 1024**3), ("512", 512), ("64k", 65536)],
)
def test_parse_size_reads_docker_units(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["-256m", "256x", "", "m", "1.5g"])
def test_parse_size_refuses_what_is_not_a_size(text):
    assert parse_size(text) is None


def test_capabilities_drop_the_cap_prefix_and_case():
    assert capabilities(["cap_chown", "NET_BIND_SERVICE", "CAP_CHOWN"]) == [
        "CHOWN",
        "NET_BIND_SERVICE",
    ]


@pytest.mark.parametrize(
    ("given", "normal"),
    [
        (["no-new-privileges:true"], ["no-new-privileges"]),
        (["no-new-privileges=true"], ["no-new-privileges"]),
        (["apparmor:docker-default"], ["apparmor=docker-default"]),
        (["seccomp=/etc/a:b.json"], ["seccomp=/etc/a:b.json"]),
        (["no-new-privileges", "apparmor=x"], ["apparmor=x", "no-new-privileges"]),
    ],
)
def test_security_options_spellings_are_made_one(given, normal):
    assert security_options(given) == normal


def test_port_bindings_fill_in_the_engine_s_empty_host_address():
    bindings = {
        "80/tcp": [{"HostIp": "", "HostPort": "8080"}],
        "53": [{"HostPort": "53"}],
        "9/tcp": None,
    }
    assert port_bindings(bindings) == {"80/tcp": ["0.0.0.0:8080"], "53/tcp": ["0.0.0.0:53"]}


def test_mounts_are_compared_as_sorted_strings():
    mounts = [
        {"Type": "bind", "Source": "/s", "Target": "/run/secrets/k", "ReadOnly": True},
        {"Type": "volume", "Source": "v", "Target": "/data"},
    ]
    assert mount_list(mounts) == ["bind:/s:/run/secrets/k:ro", "volume:v:/data:rw"]


def test_same_settings_make_no_difference():
    assert differences(normalize_container(inspect()), normalize_container(inspect())) == []


def test_a_missing_container_differs_in_every_key():
    assert differences(normalize_container(inspect()), None) == list(SPEC_KEYS)


@pytest.mark.parametrize(
    ("rewritten", "key"),
    [
        ({"SecurityOpt": ["apparmor:docker-default", "no-new-privileges:true"]}, None),
        ({"CapDrop": ["CAP_ALL"]}, None),
        ({"PortBindings": {"8000/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8000"}]}}, None),
        ({"Memory": 536870912}, "memory"),
        ({"PidsLimit": 64}, "pids_limit"),
        ({"ReadonlyRootfs": False}, "read_only"),
        ({"PortBindings": {"8000/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8000"}]}}, "ports"),
        ({"Mounts": []}, "mounts"),
        ({"RestartPolicy": {"Name": "always"}}, "restart_policy"),
    ],
)
def test_engine_rewrites_are_no_difference_but_real_changes_are(rewritten, key):
    wanted = normalize_container(inspect())

    found = differences(wanted, normalize_container(inspect(**rewritten)))

    assert found == ([key] if key else [])


def test_daemon_wide_log_options_merged_in_by_the_engine_are_no_difference():
    merged = {
        "Type": "json-file",
        "Config": {"max-size": "10m", "max-file": "3", "compress": "true"},
    }
    assert (
        differences(normalize_container(inspect()), normalize_container(inspect(LogConfig=merged)))
        == []
    )


def test_a_changed_log_option_is_a_difference():
    changed = {"Type": "json-file", "Config": {"max-size": "20m", "max-file": "3"}}
    assert differences(
        normalize_container(inspect()), normalize_container(inspect(LogConfig=changed))
    ) == ["log_options"]
