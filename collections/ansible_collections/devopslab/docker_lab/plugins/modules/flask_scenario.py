#!/usr/bin/python
# Copyright: DevOpsLab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: flask_scenario
short_description: Deploy one lab scenario as hardened containers on a Docker engine
version_added: 0.1.0
description:
  - Reads the scenario's manifest C(scenario.yml) in O(src), builds each service's image on the
    engine, and runs one container per service on a user-defined network, in the manifest's order.
  - Every container runs with the hardening baseline of the collection (module_utils
    C(hardening)), that is a non-root user, a read-only root filesystem with a tmpfs C(/tmp), all
    capabilities dropped, C(no-new-privileges), memory, CPU and pids limits, a restart policy,
    json-file log rotation, a health check, and published ports bound to O(bind_address) only.
    An option relaxes one of these only when it is set.
  - An image is tagged C(<image_prefix>/<container_name>:<version>) and labelled with a hash of its
    build context (the files C(.dockerignore) lets through, the build arguments and the base image);
    an image whose label matches is not built again.
  - A container is recreated only when what it would run differs from what runs, compared after
    the engine's own rewrites (capability and security option spellings, port bindings, memory
    units, network mode) are normalized. A second run with the same input reports no change.
  - After a change the module waits until every container is healthy (its Docker health check,
    then an HTTP request to the published O(bind_address) and port at the manifest's
    C(health_path)). When one is not healthy within O(health_timeout), the replaced containers are
    put back, from their previous image, when O(rollback=true), and the module fails with the health
    log and the last log lines.
  - A service's data volume C(<container_name>-data) is handed to the container's user before the
    container starts, by a short-lived helper container of the same image that runs C(find) and
    C(chown) as uid 0 with only the C(CHOWN) and C(DAC_OVERRIDE) capabilities (both in Docker's
    default set), a read-only root filesystem and no network. This takes over files an earlier
    version wrote as root (such as an SQLite database with its C(-wal) and C(-shm) files).
author:
  - DevOpsLab contributors (@devopslab)
requirements:
  - Docker SDK for Python 5.0.3 or newer on the target (C(python3-docker)).
  - PyYAML on the target (C(python3-yaml)).
  - A Docker engine with API 1.41 or newer.
notes:
  - Data volumes are never removed, not even with O(state=absent), unless O(remove_data=true).
  - Images are kept after a container moves on from them, so a rollback needs no rebuild;
    C(docker image prune) removes the untagged ones.
  - Where the host's kernel has no AppArmor, the engine ignores C(apparmor=) security options; the
    module then warns that O(apparmor_profile) is not applied.
  - Recreating a container restarts the app in it; its data volume and log directory stay.
attributes:
  check_mode:
    support: full
    description: Reports the images it would build and the containers it would recreate.
  diff_mode:
    support: full
    description: Shows each changing container's normalized settings before and after.
  idempotent:
    support: full
    description: A second run with the same options and build contexts reports no change.
options:
  name:
    description:
      - The scenario's name, such as V(scenario_2). Containers carry it in the label
        C(devopslab.scenario), which O(state=absent) uses to find them.
    type: str
    required: true
  src:
    description:
      - The scenario's directory on the target, holding C(scenario.yml) and each service's build
        context. Required when O(state) is V(present) or V(restarted).
    type: path
  state:
    description:
      - V(present) builds and runs the scenario; V(restarted) does the same and then restarts every
        container; V(absent) removes the scenario's containers (and, with O(remove_data=true), its
        data volumes).
    type: str
    choices: [present, absent, restarted]
    default: present
  version:
    description: The tag of the images built, such as V(1.2.0).
    type: str
    default: 1.0.0
  image_prefix:
    description:
      - The repository prefix of the images built; an image is
        C(<image_prefix>/<container_name>:<version>).
    type: str
    default: devopslab
  base_image:
    description:
      - Passed as the build argument C(BASE_IMAGE), which every lab Dockerfile reads in its C(FROM).
      - Unset, each Dockerfile's own default is used.
    type: str
  bind_address:
    description: The host address published ports bind to.
    type: str
    default: 127.0.0.1
  ports:
    description:
      - Host ports by service name, overriding the manifest's C(publish); null leaves a service
        unpublished.
    type: dict
    default: {}
  env:
    description:
      - Environment for every container of the scenario, over the manifest's C(env) and O(env_file).
      - PORT (the manifest's port) and C(<SECRET>_FILE) for each secret are set unless given here.
    type: dict
    default: {}
  env_file:
    description: A file on the target with C(NAME=value) lines, read like O(env) and under it.
    type: path
  memory:
    description: The memory limit of each container, such as V(256m) or V(1g).
    type: str
    default: 256m
  memory_swap:
    description:
      - Memory plus swap for each container. Unset, it equals O(memory), so the container gets no
        swap. V(-1) allows unlimited swap.
    type: str
  cpus:
    description: How many CPUs each container may use, such as V(0.5).
    type: float
    default: 0.5
  pids_limit:
    description: The most processes and threads each container may have; V(-1) removes the limit.
    type: int
    default: 128
  user:
    description:
      - The numeric C(uid:gid) the containers run as. This user takes over the data volumes.
    type: str
    default: "10001:10001"
  read_only:
    description: Run with a read-only root filesystem. V(false) relaxes the baseline.
    type: bool
    default: true
  cap_add:
    description: Capabilities given back after all are dropped, such as V(NET_BIND_SERVICE).
    type: list
    elements: str
    default: []
  no_new_privileges:
    description: Forbid gaining privileges through setuid files. V(false) relaxes the baseline.
    type: bool
    default: true
  restart_policy:
    description: The containers' restart policy.
    type: str
    choices: ['no', on-failure, always, unless-stopped]
    default: unless-stopped
  apparmor_profile:
    description:
      - The AppArmor profile to run each container with, when the host has it loaded
        (listed in C(/sys/kernel/security/apparmor/profiles)); C({container}) in the name is
        replaced by the container's name. Otherwise, and when unset, C(docker-default) is used.
    type: str
  log_root:
    description:
      - The host directory under which a service with a C(log_dir) gets
        C(<log_root>/<container_name>),
        owned by O(user) and bind-mounted at that C(log_dir).
    type: path
    default: /var/log/devopslab
  secrets_root:
    description:
      - The host directory under which each secret a service lists is made once, as
        C(<secrets_root>/<container_name>/<secret>), readable by root and the group of O(user),
        and mounted read-only at C(/run/secrets/<secret>).
    type: path
    default: /etc/devopslab/secrets
  network:
    description: The user-defined bridge network every container joins.
    type: str
    default: devopslab
  network_bridge:
    description:
      - The Linux bridge name of O(network) (C(com.docker.network.bridge.name)), fixed so firewall
        rules can name it. An existing network with another bridge name is an error.
    type: str
    default: br-devopslab
  health_timeout:
    description: Seconds to wait for every container to be healthy after a change.
    type: int
    default: 120
  rollback:
    description: Put the replaced containers back when a new one is not healthy in time.
    type: bool
    default: true
  remove_data:
    description: With O(state=absent), remove the scenario's data volumes too. The data is lost.
    type: bool
    default: false
  docker_host:
    description: The Docker engine's address.
    type: str
    default: unix:///var/run/docker.sock
"""

EXAMPLES = r"""
- name: Deploy scenario_2 from the copy of apps/ on the VM
  devopslab.docker_lab.flask_scenario:
    name: scenario_2
    src: /opt/devopslab/apps/scenario_2
    version: 1.0.0
    base_image: python:3.11.11-slim-bookworm

- name: Publish scenario_1's frontend on 8081 instead, with more memory
  devopslab.docker_lab.flask_scenario:
    name: scenario_1
    src: /opt/devopslab/apps/scenario_1
    ports:
      frontend: 8081
    memory: 512m
    env:
      ENV: prod

- name: Remove scenario_0 and its data
  devopslab.docker_lab.flask_scenario:
    name: scenario_0
    state: absent
    remove_data: true
"""

RETURN = r"""
containers:
  description: The scenario's containers after the run, in the manifest's order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The container's name.
      type: str
      returned: always
    id:
      description: The container's id.
      type: str
      returned: always
    image:
      description: The image reference the container was created from.
      type: str
      returned: always
    image_id:
      description: The id of that image.
      type: str
      returned: always
    status:
      description: The engine's state of the container, for example V(running).
      type: str
      returned: always
    health:
      description: V(healthy), V(unhealthy), V(starting), or V(none) without a health check.
      type: str
      returned: always
    started_at:
      description: When the container last started.
      type: str
      returned: always
  sample:
    - name: scenario2-backend
      id: 4f1c0e4b2d0e
      image: devopslab/scenario2-backend:1.0.0
      image_id: sha256:77aa
      status: running
      health: healthy
      started_at: "2025-01-01T10:00:00.000000000Z"
urls:
  description: A URL on the target for each published service.
  returned: always
  type: list
  elements: str
  sample: [http://127.0.0.1:5200/, http://127.0.0.1:80/]
built:
  description: The image tags built (or, in check mode, that would be built).
  returned: always
  type: list
  elements: str
recreated:
  description: The containers created or recreated (or, in check mode, that would be).
  returned: always
  type: list
  elements: str
removed:
  description: The containers (and, with O(remove_data=true), volumes) removed.
  returned: always
  type: list
  elements: str
ownership_fixed:
  description: Paths in data volumes whose owner was changed to O(user).
  returned: always
  type: list
  elements: str
rolled_back:
  description: Whether the previous containers were put back after a failed health check.
  returned: always
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.devopslab.docker_lab.plugins.module_utils import _engine as engine
from ansible_collections.devopslab.docker_lab.plugins.module_utils._scenario import (
    HAS_YAML,
    Failure,
    ScenarioManager,
)
from ansible_collections.devopslab.docker_lab.plugins.module_utils.hardening import BASELINE


def argument_spec() -> dict:
    """The module's options; defaults of the hardening come from BASELINE."""
    return {
        "name": {"type": "str", "required": True},
        "src": {"type": "path"},
        "state": {
            "type": "str",
            "default": "present",
            "choices": ["present", "absent", "restarted"],
        },
        "version": {"type": "str", "default": "1.0.0"},
        "image_prefix": {"type": "str", "default": "devopslab"},
        "base_image": {"type": "str"},
        "bind_address": {"type": "str", "default": BASELINE["bind_address"]},
        "ports": {"type": "dict", "default": {}},
        "env": {"type": "dict", "default": {}},
        "env_file": {"type": "path"},
        "memory": {"type": "str", "default": BASELINE["memory"]},
        "memory_swap": {"type": "str"},
        "cpus": {"type": "float", "default": BASELINE["cpus"]},
        "pids_limit": {"type": "int", "default": BASELINE["pids_limit"]},
        "user": {"type": "str", "default": BASELINE["user"]},
        "read_only": {"type": "bool", "default": BASELINE["read_only"]},
        "cap_add": {"type": "list", "elements": "str", "default": []},
        "no_new_privileges": {"type": "bool", "default": True},
        "restart_policy": {
            "type": "str",
            "default": BASELINE["restart_policy"],
            "choices": ["no", "on-failure", "always", "unless-stopped"],
        },
        "apparmor_profile": {"type": "str"},
        "log_root": {"type": "path", "default": "/var/log/devopslab"},
        "secrets_root": {"type": "path", "default": "/etc/devopslab/secrets"},
        "network": {"type": "str", "default": "devopslab"},
        "network_bridge": {"type": "str", "default": "br-devopslab"},
        "health_timeout": {"type": "int", "default": 120},
        "rollback": {"type": "bool", "default": True},
        "remove_data": {"type": "bool", "default": False},
        "docker_host": {"type": "str", "default": engine.DEFAULT_DOCKER_HOST},
    }


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    if not engine.HAS_DOCKER:
        module.fail_json(
            msg=missing_required_lib("docker (python3-docker)"),
            exception=engine.DOCKER_IMPORT_ERROR,
        )
    if not HAS_YAML:
        module.fail_json(msg=missing_required_lib("PyYAML (python3-yaml)"))
    manager = ScenarioManager(module)
    try:
        result = manager.run()
    except Failure as exc:
        module.fail_json(msg=str(exc), **manager.result, **exc.extra)
    except (engine.DockerException, engine.EngineError, OSError) as exc:
        module.fail_json(msg=f"the Docker engine: {exc}", **manager.result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
