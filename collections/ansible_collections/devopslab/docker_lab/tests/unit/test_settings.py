"""flask_scenario's options: checked before anything changes, errors naming the option."""

from __future__ import annotations

import pytest
from ansible_collections.devopslab.docker_lab.plugins.module_utils import _settings as settings


def test_the_defaults_pass(scenario_params):
    settings.check_identity(scenario_params())
    settings.check_limits(scenario_params())


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "Scenario 2"}, "name must be"),
        ({"version": "latest!"}, "version must be a Docker image tag"),
        ({"image_prefix": "Dev Ops"}, "image_prefix must be"),
        ({"user": "root"}, "user must be a numeric uid"),
    ],
)
def test_identity_errors_name_the_option(scenario_params, changes, message):
    with pytest.raises(settings.OptionError, match=message):
        settings.check_identity(scenario_params(**changes))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"pids_limit": 0}, "pids_limit must be 1 or more"),
        ({"health_timeout": 0}, "health_timeout must be 1 or more"),
        ({"bind_address": "my-host"}, "bind_address must be an IP address"),
        ({"network": "-net"}, "network must be a Docker network name"),
        ({"network_bridge": "a-bridge-name-too-long"}, "network_bridge must be"),
        ({"cap_add": ["net bind"]}, "cap_add must list capability names"),
        ({"apparmor_profile": "x; rm"}, "apparmor_profile must be a profile name"),
    ],
)
def test_limit_errors_name_the_option(scenario_params, changes, message):
    with pytest.raises(settings.OptionError, match=message):
        settings.check_limits(scenario_params(**changes))


def test_memory_swap_defaults_to_no_swap():
    assert settings.memory_limits("256m", None) == (256 * 1024**2, 256 * 1024**2)
    assert settings.memory_limits("256m", "-1") == (256 * 1024**2, -1)


@pytest.mark.parametrize(
    ("memory", "swap", "message"),
    [
        ("-256m", None, "memory must be a size of at least 6m"),
        ("1m", None, "memory must be a size of at least 6m"),
        ("256m", "128m", "memory_swap must be -1 or a size no smaller than memory"),
        ("256m", "lots", "memory_swap must be"),
    ],
)
def test_memory_errors_name_the_option(memory, swap, message):
    with pytest.raises(settings.OptionError, match=message):
        settings.memory_limits(memory, swap)


def test_cpus_are_bounded_by_the_engine():
    assert settings.nano_cpus(0.5, 2) == 500_000_000
    with pytest.raises(settings.OptionError, match="cpus must be from 0.01 to 2"):
        settings.nano_cpus(3, 2)


def test_user_ids_default_the_group_to_the_user():
    assert settings.user_ids("10001") == (10001, 10001)
    assert settings.user_ids("10001:20002") == (10001, 20002)


def test_ports_must_name_manifest_services_and_be_ports():
    services = [{"name": "backend"}, {"name": "frontend"}]

    assert settings.port_overrides({"frontend": 8081, "backend": None}, services) == {
        "frontend": 8081,
        "backend": None,
    }
    with pytest.raises(settings.OptionError, match="ports names the service 'db'"):
        settings.port_overrides({"db": 5432}, services)
    with pytest.raises(settings.OptionError, match="ports.frontend must be a port number"):
        settings.port_overrides({"frontend": 0}, services)


def test_env_wins_over_env_file_and_both_are_checked():
    entries = [(1, "ENV", "dev"), (2, "WORKERS", "2")]

    assert settings.environment({"ENV": "prod"}, entries, "/f") == {"ENV": "prod", "WORKERS": "2"}
    with pytest.raises(settings.OptionError, match="env_file /f line 3 must be NAME=value"):
        settings.environment({}, [(3, "JUSTAWORD", None)], "/f")
    with pytest.raises(settings.OptionError, match="env has the variable name"):
        settings.environment({"1X": "y"}, [], "/f")
