"""The apparmor role and the apparmor_profile module on the lab VM.

The VM's kernel has no AppArmor, so what is proven here is what can be without one:
every lab app's profile compiles and says what it should, the module refuses a broken
profile and keeps the old one, and the missing kernel support is reported once, or
fails the run when required.
"""

from __future__ import annotations

import re

import pytest
import yaml
from conftest import LAB_HOSTS, PROJECT, PlaybookRun, run_playbook

testinfra_hosts = [LAB_HOSTS]

PROFILE_DIR = "/etc/apparmor.d"
TEST_PROFILE = "devopslab-molecule-probe"
GOOD = f"""abi <abi/3.0>,
include <tunables/global>
profile {TEST_PROFILE} flags=(attach_disconnected) {{
  include <abstractions/base>
  /tmp/** rw,
}}
"""
# "rwz" is not an access mode: apparmor_parser stops at this line.
BROKEN = GOOD.replace("/tmp/** rw,", "/tmp/** rwz,")
NO_KERNEL_WARNING = "[WARNING]: The kernel has no AppArmor"
WRITE_RULE = re.compile(r"^\s*(?!deny\b)(?P<path>/\S+)\s+(?P<perms>[a-z]+),\s*$")


def lab_services() -> list[dict]:
    services = []
    for scenario in ("scenario_0", "scenario_1", "scenario_2", "stress"):
        manifest = yaml.safe_load((PROJECT / "apps" / scenario / "scenario.yml").read_text())
        services.extend(manifest["services"])
    return services


SERVICES = lab_services()
NAMES = [service["container_name"] for service in SERVICES]


def recap(output: str) -> dict[str, int]:
    match = re.search(r"ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", output)
    assert match, output[-2000:]
    counts = map(int, match.groups())
    return dict(zip(("ok", "changed", "unreachable", "failed"), counts, strict=True))


def run_module(content: str | None = GOOD, *args: str, **options) -> PlaybookRun:
    """One call of apparmor_profile on the test profile; options as profile_<option>."""
    extra = {"profile_name": TEST_PROFILE, "profile_content": content}
    extra.update({f"profile_{key}": value for key, value in options.items()})
    if content is None:
        del extra["profile_content"]
    return run_playbook("apparmor_profile.yml", extra, *args)


def profile(host, name: str) -> str:
    return host.file(f"{PROFILE_DIR}/devopslab-{name}").content_string


def test_apparmor_packages_are_installed(host):
    for package in ("apparmor", "apparmor-utils", "apparmor-profiles"):
        assert host.package(package).is_installed, package


@pytest.mark.parametrize("service", SERVICES, ids=NAMES)
def test_each_lab_app_has_its_profile_and_it_compiles(host, service):
    path = f"{PROFILE_DIR}/devopslab-{service['container_name']}"
    compiled = host.run(f"apparmor_parser --skip-kernel-load --skip-cache {path}")

    assert host.file(path).user == "root"
    assert host.file(path).mode == 0o644
    assert compiled.rc == 0, compiled.stderr
    assert f"profile devopslab-{service['container_name']} " in host.file(path).content_string


@pytest.mark.parametrize("service", SERVICES, ids=NAMES)
def test_profile_writes_only_tmp_and_the_dirs_in_the_manifest(host, service):
    allowed = {"/tmp/**"}
    allowed |= {f"{service[key]}/**" for key in ("data_dir", "log_dir") if service.get(key)}
    lines = profile(host, service["container_name"]).splitlines()
    rules = [WRITE_RULE.match(line) for line in lines]

    written = {rule["path"] for rule in rules if rule and "w" in rule["perms"]}

    assert written == allowed


@pytest.mark.parametrize("service", SERVICES, ids=NAMES)
def test_profile_reads_exactly_the_secrets_in_the_manifest(host, service):
    text = profile(host, service["container_name"])

    assert sorted(re.findall(r"^\s*/run/secrets/(\S+) r,$", text, re.M)) == sorted(
        service.get("secrets") or []
    )


@pytest.mark.parametrize("name", NAMES)
def test_profile_denies_mounts_ptrace_and_writes_to_proc_and_sys(host, name):
    text = profile(host, name)

    for rule in ("deny mount,", "deny umount,", "deny ptrace,"):
        assert rule in text
    assert "deny @{PROC}/** wl," in text
    assert "deny /sys/** wl," in text


@pytest.mark.parametrize("name", NAMES)
def test_profile_denies_host_secrets_a_bind_mount_could_expose(host, name):
    text = profile(host, name)

    for target in ("/etc/{shadow,gshadow,sudoers}*", "/root/**", "/**/.ssh/**"):
        assert f"deny {target} rwklx," in text
    assert "deny /{,var/}run/docker.sock rwklx," in text


def test_only_apps_with_a_port_get_network_access(host):
    for service in SERVICES:
        has_network = "network inet stream," in profile(host, service["container_name"])
        assert has_network == bool(service.get("port")), service["container_name"]


def test_role_rerun_changes_nothing_and_warns_once(host):
    run = run_playbook("apparmor.yml")

    assert recap(run.output)["changed"] == 0
    assert recap(run.output)["failed"] == 0
    assert run.output.count(NO_KERNEL_WARNING) == 1


@pytest.mark.parametrize(
    "rule",
    ["/etc/shadow r, } profile escaped { /** rwix,", "/tmp/** r,\n/** rwix,", "/tmp/** r"],
    ids=["closes the profile", "two lines", "no comma"],
)
def test_an_extra_rule_that_could_leave_its_profile_fails_before_writing(host, rule):
    before = profile(host, "docker-stress")

    run = run_playbook("apparmor.yml", {"apparmor_extra_rules": {"docker-stress": [rule]}})

    assert recap(run.output)["failed"] == 1
    assert "apparmor_extra_rules must map container names" in run.output, run.output[-2000:]
    assert profile(host, "docker-stress") == before


def test_module_installs_then_reports_no_change(host):
    host.run(f"rm -f {PROFILE_DIR}/{TEST_PROFILE}")

    first = run_module()
    second = run_module()

    assert recap(first.output)["changed"] == 1
    assert recap(second.output)["changed"] == 0
    assert host.file(f"{PROFILE_DIR}/{TEST_PROFILE}").content_string == GOOD


def test_module_in_check_mode_shows_the_diff_and_changes_nothing(host):
    run_module()

    run = run_module(GOOD.replace("/tmp/** rw,", "/tmp/** r,"), "--check", "--diff")

    assert recap(run.output)["changed"] == 1
    assert "-  /tmp/** rw," in run.output
    assert "+  /tmp/** r," in run.output
    assert host.file(f"{PROFILE_DIR}/{TEST_PROFILE}").content_string == GOOD


def test_broken_profile_fails_with_the_parser_message_and_keeps_the_old_one(host):
    run_module()

    run = run_module(BROKEN)

    assert recap(run.output)["failed"] == 1
    assert "does not compile" in run.output
    assert "AppArmor parser error" in run.output
    assert "at line 5" in run.output
    assert host.file(f"{PROFILE_DIR}/{TEST_PROFILE}").content_string == GOOD


def test_module_refuses_content_that_does_not_declare_the_name(host):
    other = "devopslab-molecule-other"

    run = run_playbook("apparmor_profile.yml", {"profile_name": other, "profile_content": GOOD})

    assert recap(run.output)["failed"] == 1
    assert f"content must declare 'profile {other}'" in run.output
    assert not host.file(f"{PROFILE_DIR}/{other}").exists


def test_module_required_fails_before_writing_where_the_kernel_has_no_apparmor(host):
    host.run(f"rm -f {PROFILE_DIR}/{TEST_PROFILE}")

    run = run_module(required=True)

    assert recap(run.output)["failed"] == 1
    assert "has no AppArmor" in run.output and "nothing was changed" in run.output
    assert not host.file(f"{PROFILE_DIR}/{TEST_PROFILE}").exists


def test_module_absent_removes_the_profile_then_reports_no_change(host):
    run_module()

    first = run_module(None, state="absent")
    second = run_module(None, state="absent")

    assert recap(first.output)["changed"] == 1
    assert recap(second.output)["changed"] == 0
    assert not host.file(f"{PROFILE_DIR}/{TEST_PROFILE}").exists


@pytest.mark.disruptive
def test_role_with_apparmor_required_fails_without_touching_a_missing_profile(host):
    path = f"{PROFILE_DIR}/devopslab-{NAMES[0]}"
    host.check_output(f"rm {path}")

    failed = run_playbook("apparmor.yml", {"apparmor_required": True})
    restored = run_playbook("apparmor.yml")

    assert recap(failed.output)["failed"] == 1
    assert "required is true; nothing was changed" in failed.output
    assert recap(restored.output)["changed"] == 1
    assert host.file(path).exists


@pytest.mark.disruptive
def test_complain_mode_is_written_into_every_profile(host):
    complain = run_playbook("apparmor.yml", {"apparmor_mode": "complain"})
    texts = {name: profile(host, name) for name in NAMES}
    enforce = run_playbook("apparmor.yml")

    assert recap(complain.output)["failed"] == 0
    assert all("mediate_deleted,complain)" in text for text in texts.values())
    assert recap(enforce.output)["changed"] == 1
    assert all("complain" not in profile(host, name) for name in NAMES)
