#!/usr/bin/env python3
"""A stand-in for the pip bootstrap script that `ansible-test --venv` downloads.

ansible-test fetches get-pip.py from a host this machine cannot reach, but
looks in its cache first. Run with --install, this file copies itself into
that cache under the name the installed ansible-test asks for. Run by
ansible-test, it does the bootstrap's job with the Python standard library's
ensurepip and then `pip install` of the packages asked for (pip itself, at the
version ansible-test pins), trusting the system CA bundle, which an
intercepting proxy on the way to PyPI needs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import types

CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
# get-pip.py options that pip install does not know.
BOOTSTRAP_ONLY = {"--no-setuptools", "--no-wheel"}


def cache_path() -> str:
    """Where the installed ansible-test looks for its cached bootstrap script."""
    from ansible_test._internal.python_requirements import get_venv_packages

    version = get_venv_packages(types.SimpleNamespace(version="3"))["pip"]
    return os.path.expanduser(f"~/.ansible/test/cache/get_pip_{version.replace('.', '_')}.py")


def install() -> None:
    target = cache_path()
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copyfile(__file__, target)
    print(f"pip bootstrap stand-in installed as {target}")


def bootstrap(arguments: list[str]) -> None:
    env = dict(os.environ)
    if os.path.exists(CA_BUNDLE):
        env.setdefault("PIP_CERT", CA_BUNDLE)
    subprocess.run([sys.executable, "-m", "ensurepip", "--upgrade"], check=True, env=env)
    packages = [argument for argument in arguments if argument not in BOOTSTRAP_ONLY]
    subprocess.run([sys.executable, "-m", "pip", "install", *packages], check=True, env=env)


if __name__ == "__main__":
    if sys.argv[1:] == ["--install"]:
        install()
    else:
        bootstrap(sys.argv[1:])
