"""The shared posts API specification, run against this backend."""

from __future__ import annotations

from testkit.posts_api_spec import *  # noqa: F403
