"""The shared posts page specification, run against this frontend."""

from __future__ import annotations

from testkit.frontend_spec import *  # noqa: F403
