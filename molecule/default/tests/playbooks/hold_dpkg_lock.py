"""Hold the dpkg locks the way a running apt or unattended-upgrade does, then let go.

Run on the lab VM by the verify tests: python3 hold_dpkg_lock.py SECONDS
"""

import fcntl
import pathlib
import sys
import time

LOCKS = ("/var/lib/dpkg/lock-frontend", "/var/lib/dpkg/lock")

held = [open(path, "a") for path in LOCKS]  # noqa: SIM115 - held until exit on purpose
for lock in held:
    fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
pathlib.Path("/run/dpkg-lock-held").write_text(f"{time.time()}\n")
time.sleep(float(sys.argv[1]))
pathlib.Path("/run/dpkg-lock-released").write_text(f"{time.time()}\n")
