"""The host-side helpers: AppArmor's profile list, env files, ports, secrets."""

from __future__ import annotations

import os
import socket

from ansible_collections.devopslab.docker_lab.plugins.module_utils import _host as host


def test_loaded_profiles_are_read_with_their_mode_stripped(tmp_path):
    profiles = tmp_path / "profiles"
    profiles.write_text(
        "docker-default (enforce)\ndevopslab-simple-app (complain)\n/usr/bin/man (enforce)\n"
    )

    assert host.loaded_apparmor_profiles(str(profiles)) == {
        "docker-default",
        "devopslab-simple-app",
        "/usr/bin/man",
    }


def test_a_kernel_without_apparmor_has_no_profile_list(tmp_path):
    assert host.loaded_apparmor_profiles(str(tmp_path / "absent")) is None


def test_env_files_keep_line_numbers_and_skip_comments(tmp_path):
    env_file = tmp_path / "app.env"
    env_file.write_text("# settings\nENV=prod\n\nURL=http://x/?a=b\nbroken\n")

    assert host.read_env_file(str(env_file)) == [
        (2, "ENV", "prod"),
        (4, "URL", "http://x/?a=b"),
        (5, "broken", None),
    ]


def test_a_listening_port_is_in_use_and_a_closed_one_is_not():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        assert host.port_in_use("127.0.0.1", port) is True
    assert host.port_in_use("127.0.0.1", port) is False


def test_secret_is_made_once_and_check_mode_makes_nothing(tmp_path):
    path = str(tmp_path / "secret_key")
    gid = os.getgid()

    assert host.ensure_secret(path, gid, check_mode=True) is True
    assert not os.path.exists(path)
    assert host.ensure_secret(path, gid, check_mode=False) is True
    first = open(path).read()
    assert host.ensure_secret(path, gid, check_mode=False) is False
    assert open(path).read() == first and len(first.strip()) >= 32
    assert os.stat(path).st_mode & 0o777 == 0o440


def test_missing_directory_is_made_and_an_existing_one_left_alone(tmp_path):
    existing = tmp_path / "existing"
    existing.mkdir(mode=0o700)

    assert host.make_missing_directory(str(tmp_path / "a" / "b"), 0o755, check_mode=False) is True
    assert host.make_missing_directory(str(existing), 0o755, check_mode=False) is False
    assert existing.stat().st_mode & 0o777 == 0o700
