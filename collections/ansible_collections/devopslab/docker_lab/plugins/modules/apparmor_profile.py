#!/usr/bin/python
# Copyright: DevOpsLab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: apparmor_profile
short_description: Compile and install an AppArmor profile, and load it where the kernel can
version_added: 0.1.0
description:
  - Compiles the profile in O(content) with C(apparmor_parser --skip-kernel-load --skip-cache)
    before anything changes. A profile that does not compile fails the task with the parser's
    message, and the file already in place stays as it was.
  - Writes the profile to C(<profile_dir>/<name>) atomically, so the C(apparmor) service loads
    it again at boot.
  - Where the kernel has AppArmor, loads or replaces the profile in O(mode) when the file changed
    or the kernel holds it in another mode. Where the kernel has none, the profile is compiled and
    installed but not loaded, and the module warns, or fails when O(required=true).
  - Reports every loaded profile and its mode, read from C(aa-status) (its JSON output where it
    gives one).
author:
  - DevOpsLab contributors (@devopslab)
requirements:
  - The C(apparmor) package on the target (C(apparmor_parser) and C(aa-status)).
notes:
  - The lab's container profiles are named C(devopslab-<container_name>), the name the
    M(devopslab.docker_lab.flask_scenario) module runs each container with when the kernel holds
    it.
  - O(mode) is how the profile is loaded now. At boot the C(apparmor) service loads the file as
    written, so a profile meant to stay in complain mode carries C(flags=(complain)) in O(content).
attributes:
  check_mode:
    support: full
    description: Compiles the profile and reports whether the file or the kernel would change.
  diff_mode:
    support: full
    description: Shows the profile file before and after.
  idempotent:
    support: full
    description: The file is written and the profile loaded only when either would change.
options:
  name:
    description:
      - The profile's name, declared in O(content) as C(profile <name>), and the file name under
        O(profile_dir).
    type: str
    required: true
  content:
    description: The profile's text. Required when O(state=present).
    type: str
  state:
    description:
      - V(present) installs (and, where possible, loads) the profile; V(absent) unloads it and
        removes its file.
    type: str
    choices: [present, absent]
    default: present
  mode:
    description: How the kernel enforces the profile when it is loaded.
    type: str
    choices: [enforce, complain]
    default: enforce
  required:
    description:
      - Fail, before changing anything, when the kernel has no AppArmor to load the profile into.
        V(false) installs the compiled profile and warns.
    type: bool
    default: false
  profile_dir:
    description: The directory the profile file is written to.
    type: path
    default: /etc/apparmor.d
"""

EXAMPLES = r"""
- name: Install and load the profile of the scenario_0 app
  devopslab.docker_lab.apparmor_profile:
    name: devopslab-simple-app
    content: "{{ lookup('ansible.builtin.template', 'container.apparmor.j2') }}"
    mode: enforce

- name: Insist on a kernel with AppArmor (a real Ubuntu 22.04 VM)
  devopslab.docker_lab.apparmor_profile:
    name: devopslab-simple-app
    content: "{{ lookup('ansible.builtin.file', 'devopslab-simple-app') }}"
    required: true

- name: Remove a profile
  devopslab.docker_lab.apparmor_profile:
    name: devopslab-old-app
    state: absent
"""

RETURN = r"""
path:
  description: The profile file.
  returned: always
  type: str
  sample: /etc/apparmor.d/devopslab-simple-app
apparmor_available:
  description: Whether the kernel has AppArmor and its loaded profiles could be read.
  returned: always
  type: bool
  sample: true
unavailable_reason:
  description: Why the profile could not be loaded, in C(aa-status)'s words; empty when it could.
  returned: always
  type: str
  sample: apparmor not present.
loaded:
  description: Whether the kernel holds the profile in O(mode) after the task.
  returned: always
  type: bool
  sample: true
profiles:
  description: Every profile the kernel holds, with its mode; empty where it has no AppArmor.
  returned: always
  type: dict
  sample: {"devopslab-simple-app": "enforce", "docker-default": "enforce"}
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.devopslab.docker_lab.plugins.module_utils._apparmor import (
    ProfileError,
    Status,
    check_options,
    compile_command,
    load_command,
    parser_message,
    status_from_aa_status,
    unload_command,
)

MISSING_TOOLS = "{} was not found on the target: install the apparmor package first"


class ProfileManager:
    """Brings one profile file, and the kernel where it can, to the wanted state."""

    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.params = module.params
        self.path = os.path.join(self.params["profile_dir"], self.params["name"])
        self.parser = self._tool("apparmor_parser")
        self.aa_status = self._tool("aa-status")
        self.before = self._read()
        self.result = {"changed": False, "path": self.path}

    def _tool(self, name: str) -> str:
        path = self.module.get_bin_path(name, opt_dirs=["/sbin", "/usr/sbin"])
        if path is None:
            self.module.fail_json(msg=MISSING_TOOLS.format(name))
        return path

    def _read(self) -> str | None:
        if not os.path.exists(self.path):
            return None
        with open(self.path, encoding="utf-8") as handle:
            return handle.read()

    def status(self) -> Status:
        json_out = self.module.run_command([self.aa_status, "--json"])[1]
        rc, text_out, text_err = self.module.run_command([self.aa_status])
        return status_from_aa_status(rc, json_out, text_out, text_err)

    def _fail(self, msg: str, **extra) -> None:
        self.module.fail_json(msg=msg, **extra)

    def compile_new(self) -> str:
        """The new content in a temporary file, compiled; fails with the parser's words."""
        staged = os.path.join(self.module.tmpdir, self.params["name"])
        with open(staged, "w", encoding="utf-8") as handle:
            handle.write(self.params["content"])
        rc, out, err = self.module.run_command(compile_command(self.parser, staged))
        if rc != 0:
            said = parser_message(err, out).replace(staged, self.path + " (new content)")
            self._fail(
                f"The profile {self.params['name']} does not compile, so {self.path} was left as "
                f"it was. apparmor_parser said: {said}",
                parser_output=err or out,
            )
        return staged

    def install(self, staged: str) -> None:
        self.module.atomic_move(staged, self.path)
        os.chmod(self.path, 0o644)

    def put_back(self) -> None:
        if self.before is None:
            os.remove(self.path)
            return
        with open(self.path, "w", encoding="utf-8") as handle:
            handle.write(self.before)

    def load(self) -> None:
        command = load_command(self.parser, self.path, self.params["mode"])
        rc, out, err = self.module.run_command(command)
        if rc != 0:
            self.put_back()
            self._fail(
                f"The kernel refused the profile {self.params['name']}, so the previous file is "
                f"back in place. apparmor_parser said: {parser_message(err, out)}",
                parser_output=err or out,
            )

    def present(self) -> None:
        staged = self.compile_new()
        status = self.status()
        if not status.available and self.params["required"]:
            self._fail(
                f"The kernel has no AppArmor to load {self.params['name']} into "
                f"(aa-status: {status.reason.rstrip('.')}), "
                "and required is true; nothing was changed"
            )
        file_changes = self.before != self.params["content"]
        kernel_changes = status.available and (
            file_changes or status.profiles.get(self.params["name"]) != self.params["mode"]
        )
        if file_changes and not self.module.check_mode:
            self.install(staged)
        if kernel_changes and not self.module.check_mode:
            self.load()
            status = self.status()
        if not status.available:
            self.module.warn(
                f"The kernel has no AppArmor (aa-status: {status.reason.rstrip('.')}): the "
                "profiles are compiled and installed but not loaded, and containers run "
                "without them. Set required (apparmor_required in the apparmor role) to true to "
                "fail instead."
            )
        self.finish(status, file_changes or kernel_changes, self.params["content"])

    def absent(self) -> None:
        status = self.status()
        loaded = self.params["name"] in status.profiles
        if loaded and not self.module.check_mode:
            self.unload()
            status = self.status()
        if self.before is not None and not self.module.check_mode:
            os.remove(self.path)
        self.finish(status, loaded or self.before is not None, "")

    def unload(self) -> None:
        # A stub of the same name is enough to unload it, even when the file is gone.
        stub = os.path.join(self.module.tmpdir, self.params["name"])
        with open(stub, "w", encoding="utf-8") as handle:
            handle.write(f"profile {self.params['name']} {{}}\n")
        rc, out, err = self.module.run_command(unload_command(self.parser, stub))
        if rc != 0:
            self._fail(
                f"The kernel would not unload {self.params['name']}: {parser_message(err, out)}"
            )

    def finish(self, status: Status, changed: bool, after: str) -> None:
        self.result.update(
            changed=changed,
            apparmor_available=status.available,
            unavailable_reason=status.reason,
            loaded=status.profiles.get(self.params["name"]) == self.params["mode"],
            profiles=status.profiles,
            diff={
                "before": self.before or "",
                "after": after,
                "before_header": self.path,
                "after_header": self.path,
            },
        )


def argument_spec() -> dict:
    return {
        "name": {"type": "str", "required": True},
        "content": {"type": "str"},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "mode": {"type": "str", "choices": ["enforce", "complain"], "default": "enforce"},
        "required": {"type": "bool", "default": False},
        "profile_dir": {"type": "path", "default": "/etc/apparmor.d"},
    }


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    try:
        check_options(params["name"], params["content"], params["state"])
    except ProfileError as exc:
        module.fail_json(msg=str(exc))
    if not os.path.isdir(params["profile_dir"]):
        module.fail_json(
            msg=f"profile_dir must be an existing directory, got {params['profile_dir']!r}"
        )

    manager = ProfileManager(module)
    if params["state"] == "present":
        manager.present()
    else:
        manager.absent()
    module.exit_json(**manager.result)


if __name__ == "__main__":
    main()
