"""gunicorn's settings; PORT and WEB_CONCURRENCY come from the environment."""

from __future__ import annotations

import os

bind = f"0.0.0.0:{os.environ['PORT']}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# The app is built once in the master, so the schema is made once, before any worker forks.
preload_app = True
# The app writes its own line per request; gunicorn's access log would repeat it.
accesslog = None
errorlog = "-"
timeout = 30
graceful_timeout = 10
# Its default path is under $HOME, which a read-only root filesystem cannot hold.
control_socket_disable = True
