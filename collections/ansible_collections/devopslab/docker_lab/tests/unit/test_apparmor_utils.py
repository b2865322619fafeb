"""The apparmor_profile module's pure logic: option checks, commands, and aa-status parsing.

Sample outputs. The "absent" ones were recorded from aa-status 3.0.8 (Debian 12's) in the lab
VM, whose kernel has no AppArmor. No kernel here has AppArmor to record the others from, so they
are samples written in the exact format aa-status 3.0 prints (Ubuntu 22.04 ships 3.0.4): the
plain report's "N profiles are in MODE mode." lists, and --json's {"version", "profiles",
"processes"} object.
"""

from __future__ import annotations

import pytest
from ansible_collections.devopslab.docker_lab.plugins.module_utils._apparmor import (
    AA_DISABLED,
    AA_ENABLED,
    AA_NO_CONTROL,
    AA_NO_POLICY,
    ProfileError,
    check_options,
    compile_command,
    declared_profiles,
    load_command,
    parse_json,
    parse_text,
    parser_message,
    status_from_aa_status,
    unload_command,
)

ENFORCE_TEXT = """\
apparmor module is loaded.
4 profiles are loaded.
3 profiles are in enforce mode.
   /usr/bin/man
   devopslab-simple-app
   docker-default
1 profiles are in complain mode.
   devopslab-scenario2-backend
0 profiles are in kill mode.
0 profiles are in unconfined mode.
2 processes have profiles defined.
2 processes are in enforce mode.
   /opt/venv/bin/python3.11 (2211) devopslab-simple-app
   /usr/bin/python3.11 (2230) docker-default
0 processes are in complain mode.
0 processes are unconfined but have a profile defined.
0 processes are in mixed mode.
0 processes are in kill mode.
"""

ENFORCE_JSON = (
    '{"version": "1", "profiles": {"/usr/bin/man": "enforce", "devopslab-simple-app": '
    '"enforce", "docker-default": "enforce", "devopslab-scenario2-backend": "complain"}, '
    '"processes": {"/opt/venv/bin/python3.11": [{"profile": "devopslab-simple-app", '
    '"pid": "2211", "status": "enforce"}]}}\n'
)

COMPLAIN_TEXT = """\
apparmor module is loaded.
2 profiles are loaded.
0 profiles are in enforce mode.
2 profiles are in complain mode.
   devopslab-scenario1-backend
   devopslab-scenario1-frontend
0 profiles are in kill mode.
0 profiles are in unconfined mode.
0 processes have profiles defined.
0 processes are in enforce mode.
0 processes are in complain mode.
0 processes are unconfined but have a profile defined.
0 processes are in mixed mode.
0 processes are in kill mode.
"""

NONE_LOADED_TEXT = "apparmor module is loaded.\n"
NONE_LOADED_ERR = "Failed to get profiles: 2....\n"

# Recorded in the lab VM: plain aa-status exits 1 with this on stderr; --json prints nothing
# and exits 0.
ABSENT_ERR = "apparmor not present.\n"

PROFILE = """\
abi <abi/3.0>,
#include <tunables/global>

profile devopslab-simple-app flags=(attach_disconnected,mediate_deleted) {
  #include <abstractions/base>
  /app/** r,
}
"""


def test_plain_report_lists_each_profile_with_its_mode():
    profiles = parse_text(ENFORCE_TEXT)

    assert profiles == {
        "/usr/bin/man": "enforce",
        "devopslab-simple-app": "enforce",
        "docker-default": "enforce",
        "devopslab-scenario2-backend": "complain",
    }


def test_process_lines_are_not_taken_for_profiles():
    profiles = parse_text(ENFORCE_TEXT)

    assert not any(name.startswith("/opt/venv") for name in profiles)


def test_complain_only_report():
    assert parse_text(COMPLAIN_TEXT) == {
        "devopslab-scenario1-backend": "complain",
        "devopslab-scenario1-frontend": "complain",
    }


def test_json_report_gives_the_same_profiles_as_the_plain_one():
    assert parse_json(ENFORCE_JSON) == parse_text(ENFORCE_TEXT)


@pytest.mark.parametrize("text", ["", "apparmor not present.", "[1, 2]", '{"version": "1"}'])
def test_anything_but_aa_status_json_is_not_taken_for_it(text):
    assert parse_json(text) is None


def test_enabled_kernel_with_json_uses_the_json():
    status = status_from_aa_status(AA_ENABLED, ENFORCE_JSON, ENFORCE_TEXT, "")

    assert status.available
    assert status.profiles["devopslab-scenario2-backend"] == "complain"


def test_enabled_kernel_without_json_support_falls_back_to_the_plain_report():
    status = status_from_aa_status(AA_ENABLED, "", COMPLAIN_TEXT, "")

    assert status.available
    assert status.profiles == parse_text(COMPLAIN_TEXT)


def test_enabled_kernel_with_no_profiles_loaded_is_available_and_empty():
    status = status_from_aa_status(AA_NO_POLICY, "", NONE_LOADED_TEXT, NONE_LOADED_ERR)

    assert status.available
    assert status.profiles == {}


def test_kernel_without_apparmor_is_unavailable_with_aa_status_reason():
    # --json exited 0 with no output here; only the plain run's exit code tells.
    status = status_from_aa_status(AA_DISABLED, "", "", ABSENT_ERR)

    assert not status.available
    assert status.reason == "apparmor not present."
    assert status.profiles == {}


def test_unmounted_apparmor_filesystem_is_unavailable():
    err = "apparmor filesystem is not mounted.\n"
    status = status_from_aa_status(AA_NO_CONTROL, "", "apparmor module is loaded.\n", err)

    assert not status.available
    assert "not mounted" in status.reason


def test_unknown_exit_code_is_unavailable_and_says_the_code():
    status = status_from_aa_status(42, "", "", "Failed to parse json output")

    assert not status.available
    assert "42" in status.reason


def test_declared_profiles_reads_the_profile_keyword():
    assert declared_profiles(PROFILE) == ["devopslab-simple-app"]
    assert declared_profiles('profile "quoted-name" {\n}\n') == ["quoted-name"]
    assert declared_profiles("# profile commented {\n/usr/bin/x {\n}\n") == []


def test_valid_profile_passes_the_checks():
    check_options("devopslab-simple-app", PROFILE, "present")


@pytest.mark.parametrize(
    ("name", "content", "state", "option"),
    [
        ("", PROFILE, "present", "name must"),
        ("../escape", PROFILE, "present", "name must"),
        ("has space", PROFILE, "present", "name must"),
        ("-leading-dash", PROFILE, "present", "name must"),
        ("devopslab-simple-app", None, "present", "content is required"),
        ("devopslab-simple-app", "  \n", "present", "content is required"),
        ("devopslab-other", PROFILE, "present", "content must declare 'profile devopslab-other'"),
    ],
)
def test_bad_options_are_rejected_naming_the_option(name, content, state, option):
    with pytest.raises(ProfileError, match=option):
        check_options(name, content, state)


def test_absent_needs_no_content():
    check_options("devopslab-simple-app", None, "absent")


def test_compile_never_loads_or_writes_the_cache():
    command = compile_command("/sbin/apparmor_parser", "/tmp/p")

    assert command == ["/sbin/apparmor_parser", "--skip-kernel-load", "--skip-cache", "/tmp/p"]


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("enforce", ["p", "--replace", "--write-cache", "/etc/apparmor.d/x"]),
        ("complain", ["p", "--replace", "--write-cache", "--Complain", "/etc/apparmor.d/x"]),
    ],
)
def test_load_replaces_in_the_wanted_mode(mode, expected):
    assert load_command("p", "/etc/apparmor.d/x", mode) == expected


def test_unload_removes_by_file():
    assert unload_command("p", "/tmp/x") == ["p", "--remove", "/tmp/x"]


def test_parser_message_keeps_the_error_and_drops_the_cache_note():
    # The parser's stderr for a bad rule, as apparmor_parser 3.0.8 printed it in the lab VM.
    stderr = (
        "Cache read/write disabled: interface file missing. (Kernel needs AppArmor 2.4 "
        "compatibility patch.)\n"
        "AppArmor parser error for /tmp/t in profile /tmp/t at line 5: syntax error, "
        "unexpected TOK_ID, expecting TOK_MODE\n"
    )

    assert parser_message(stderr) == (
        "AppArmor parser error for /tmp/t in profile /tmp/t at line 5: syntax error, "
        "unexpected TOK_ID, expecting TOK_MODE"
    )


def test_parser_message_when_the_parser_says_nothing():
    assert parser_message("", "") == "apparmor_parser failed without saying why"
