# Copyright: DevOpsLab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a scenario needs on the host besides containers: log directories,
secret files, the AppArmor check and free ports. Each helper reports whether it
changed something and changes nothing in check mode.
"""

from __future__ import annotations

import errno
import os
import secrets
import socket

APPARMOR_PROFILES = "/sys/kernel/security/apparmor/profiles"


def loaded_apparmor_profiles(path: str = APPARMOR_PROFILES) -> set[str] | None:
    """The names of loaded AppArmor profiles, or None when the kernel has no AppArmor."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    return {line.rsplit(" (", 1)[0] for line in lines if line.strip()}


def ensure_directory(path: str, uid: int, gid: int, mode: int, check_mode: bool) -> bool:
    """Make path a directory owned by uid:gid with mode; True when it had to change."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if not check_mode:
            os.makedirs(path, mode=mode)
            os.chown(path, uid, gid)
            os.chmod(path, mode)
        return True
    if (info.st_uid, info.st_gid, info.st_mode & 0o7777) == (uid, gid, mode):
        return False
    if not check_mode:
        os.chown(path, uid, gid)
        os.chmod(path, mode)
    return True


def make_missing_directory(path: str, mode: int, check_mode: bool) -> bool:
    """Make path (and its parents) when missing; an existing one is left as it is."""
    if os.path.isdir(path):
        return False
    if not check_mode:
        os.makedirs(path, mode=mode)
    return True


def ensure_secret(path: str, gid: int, check_mode: bool) -> bool:
    """A random secret made once at path, readable by root and gid only; True when changed."""
    if os.path.exists(path):
        info = os.stat(path)
        if (info.st_uid, info.st_gid, info.st_mode & 0o7777) == (0, gid, 0o440):
            return False
        if not check_mode:
            os.chown(path, 0, gid)
            os.chmod(path, 0o440)
        return True
    if not check_mode:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o440)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
        os.chown(path, 0, gid)
    return True


def port_in_use(address: str, port: int) -> bool:
    """True when something on this host already holds address:port for TCP."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False


def read_env_file(path: str) -> list[tuple[int, str, str]]:
    """KEY=VALUE lines of an env file with their line numbers; # starts a comment line."""
    entries = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            key, sep, value = text.partition("=")
            entries.append((number, key.strip() if sep else text, value if sep else None))
    return entries
