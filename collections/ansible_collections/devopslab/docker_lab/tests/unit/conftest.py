"""Shared fixtures of the collection's unit tests."""

from __future__ import annotations

import pytest
from ansible_collections.devopslab.docker_lab.plugins.modules.flask_scenario import argument_spec


@pytest.fixture
def scenario_params():
    """flask_scenario's options as AnsibleModule hands them over: the documented
    defaults, a scenario name, and the changes a test asks for."""

    def make(**changes) -> dict:
        params = {name: spec.get("default") for name, spec in argument_spec().items()}
        params["name"] = "scenario_2"
        params.update(changes)
        return params

    return make
