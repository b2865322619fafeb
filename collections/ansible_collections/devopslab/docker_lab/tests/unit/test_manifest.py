"""scenario.yml: what a manifest may hold, and the field every error names."""

from __future__ import annotations

import pytest
from ansible_collections.devopslab.docker_lab.plugins.module_utils._manifest import (
    ManifestError,
    parse_manifest,
)


@pytest.fixture
def src(tmp_path):
    """A scenario directory with build contexts for a backend and a frontend."""
    for context in ("backend", "frontend"):
        (tmp_path / context).mkdir()
        (tmp_path / context / "Dockerfile").write_text("FROM scratch\n")
    return tmp_path


def service(**fields) -> dict:
    base = {"name": "backend", "container_name": "s-backend", "build": "backend", "port": 5100}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def test_defaults_publish_the_listening_port_and_fill_empty_fields(src):
    parsed = parse_manifest(str(src), {"description": "d", "services": [service()]})

    backend = parsed["services"][0]
    assert backend["publish"] == 5100 and backend["secrets"] == [] and backend["env"] == {}
    assert backend["build"] == str(src / "backend")


def test_null_publish_keeps_a_service_unpublished(src):
    parsed = parse_manifest(str(src), {"services": [service(publish=None)]})
    assert parsed["services"][0]["publish"] == 5100  # a missing key means "same as port"

    parsed = parse_manifest(str(src), {"services": [dict(service(), publish=None)]})
    assert parsed["services"][0]["publish"] is None


def test_environment_values_become_strings(src):
    parsed = parse_manifest(str(src), {"services": [service(env={"WORKERS": 4, "DEBUG": False})]})
    assert parsed["services"][0]["env"] == {"WORKERS": "4", "DEBUG": "false"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "services must be a non-empty list"),
        (
            {"services": [service(port=70000)]},
            "services[0].port must be a whole number from 1 to 65535",
        ),
        ({"services": [service(port=True)]}, "services[0].port must be a whole number"),
        ({"services": [service(publish=0)]}, "services[0].publish must be"),
        (
            {"services": [service(port=None, publish=80)]},
            "services[0].publish needs services[0].port",
        ),
        (
            {"services": [service(container_name="web; rm -rf /")]},
            "services[0].container_name must be",
        ),
        ({"services": [service(container_name="$(id)")]}, "services[0].container_name must be"),
        ({"services": [service(name="Back End")]}, "services[0].name must be"),
        (
            {"services": [service(build="../elsewhere")]},
            "services[0].build must be a directory relative",
        ),
        ({"services": [service(build="/abs")]}, "services[0].build must be a directory relative"),
        (
            {"services": [service(build="frontend/..")]},
            "services[0].build must be a directory relative",
        ),
        ({"services": [service(build="missing")]}, "holds no Dockerfile"),
        ({"services": [service(data_dir="data")]}, "services[0].data_dir must be an absolute path"),
        (
            {"services": [service(secrets=["../key"])]},
            "services[0].secrets must be a list of names",
        ),
        ({"services": [service(env={"BAD-NAME": "x"})]}, "services[0].env has the variable name"),
        ({"services": [service(env={"A": [1]})]}, "services[0].env.A must be a string or a number"),
        (
            {"services": [service(health_path="health")]},
            "services[0].health_path must be a URL path",
        ),
        (
            {"services": [service(command="gunicorn app")]},
            "services[0].command must be a non-empty list",
        ),
        (
            {"services": [service(volumes=["/:/host"])]},
            "services[0] has unknown fields ['volumes']",
        ),
        ({"services": [service(), service()]}, "each name must be unique"),
    ],
)
def test_bad_manifests_name_the_field(src, data, message):
    with pytest.raises(ManifestError) as error:
        parse_manifest(str(src), data)
    assert message in str(error.value)
