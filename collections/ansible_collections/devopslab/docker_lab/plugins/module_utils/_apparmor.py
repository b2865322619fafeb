# Copyright: DevOpsLab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AppArmor as the apparmor_profile module sees it: option checks, the commands
it runs, and what aa-status says about the kernel and its loaded profiles.

Nothing here runs a command or touches a file, so all of it is unit-tested.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\Z")
MODES = ("enforce", "complain")

# aa-status exit codes (apparmor 3.x, binutils/aa_status.c).
AA_ENABLED = 0
AA_DISABLED = 1
AA_NO_POLICY = 2
AA_NO_CONTROL = 3
AA_NO_PERMISSION = 4

_PROFILE_HEADER = re.compile(r"^(\d+) profiles are in (\S+) mode\.$")
_SECTION_END = re.compile(r"^\d+ processes ")
_DECLARATION = re.compile(r"^\s*profile\s+([^\s{(]+)", re.MULTILINE)
# Printed on every run where the kernel has no AppArmor; it is not the error.
_CACHE_NOTE = "Cache read/write disabled"


class ProfileError(ValueError):
    """An option the module cannot use; the message names the option."""


@dataclass
class Status:
    """The kernel's AppArmor as aa-status reported it."""

    available: bool
    profiles: dict[str, str] = field(default_factory=dict)
    reason: str = ""


def check_options(name: str, content: str | None, state: str) -> None:
    """Reject a name or content the module cannot install, naming the option."""
    if not PROFILE_NAME.match(name or ""):
        raise ProfileError(
            "name must be 1 to 128 letters, digits, '_', '.' or '-', starting with a letter or "
            f"digit (it is also the file name in profile_dir), got {name!r}"
        )
    if state != "present":
        return
    if not content or not content.strip():
        raise ProfileError("content is required when state is present: the profile's text")
    declared = declared_profiles(content)
    if name not in declared:
        raise ProfileError(
            f"content must declare 'profile {name}' so that the engine finds it by that name; "
            f"it declares {declared or 'no named profile'}"
        )


def declared_profiles(content: str) -> list[str]:
    """The names declared with the `profile NAME` keyword, in order."""
    return [match.strip("\"'") for match in _DECLARATION.findall(content)]


def compile_command(parser: str, path: str) -> list[str]:
    """Compile a profile without loading it into the kernel or writing the cache."""
    return [parser, "--skip-kernel-load", "--skip-cache", path]


def load_command(parser: str, path: str, mode: str) -> list[str]:
    """Load or replace a profile in the kernel, in complain mode when asked."""
    command = [parser, "--replace", "--write-cache"]
    if mode == "complain":
        command.append("--Complain")
    return command + [path]


def unload_command(parser: str, path: str) -> list[str]:
    """Remove the profiles a file declares from the kernel."""
    return [parser, "--remove", path]


def parser_message(stderr: str, stdout: str = "") -> str:
    """The parser's own words for a failure, without its note about a kernel lacking AppArmor."""
    lines = [
        line.strip()
        for line in (stderr or stdout).splitlines()
        if line.strip() and not line.startswith(_CACHE_NOTE)
    ]
    return " ".join(lines) or "apparmor_parser failed without saying why"


def parse_json(text: str) -> dict[str, str] | None:
    """Profiles and modes from `aa-status --json`, or None when the text is not its JSON."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("profiles"), dict):
        return None
    return {str(name): str(mode) for name, mode in data["profiles"].items()}


def parse_text(text: str) -> dict[str, str]:
    """Profiles and modes from aa-status' plain output, its "N profiles are in MODE mode." lists."""
    profiles = {}
    mode = None
    for line in text.splitlines():
        header = _PROFILE_HEADER.match(line.strip())
        if header:
            mode = header.group(2)
        elif _SECTION_END.match(line):
            mode = None
        elif mode and line.startswith(" ") and line.strip():
            profiles[line.strip()] = mode
    return profiles


def status_from_aa_status(rc: int, json_out: str, text_out: str, text_err: str) -> Status:
    """What the two aa-status runs (--json, then plain) say about the kernel.

    aa-status 3.0 prints nothing and exits 0 for --json where AppArmor is absent, so the
    plain run and its exit code decide availability; the JSON only supplies the profiles.
    """
    said = (text_err or text_out).strip()
    if rc == AA_DISABLED:
        return Status(False, reason=said or "AppArmor is not enabled in this kernel")
    if rc == AA_NO_CONTROL:
        return Status(False, reason=said or "the AppArmor filesystem is not mounted")
    if rc == AA_NO_PERMISSION:
        return Status(False, reason=said or "not allowed to read the loaded profiles")
    if rc == AA_NO_POLICY:
        return Status(True, {})
    if rc != AA_ENABLED:
        return Status(False, reason=f"aa-status exited {rc}: {said}")
    profiles = parse_json(json_out)
    return Status(True, parse_text(text_out) if profiles is None else profiles)
