"""One log line per request, with method, path, status and duration.

Lines go to stdout (for `docker logs`) and, when LOG_DIR is set, to LOG_DIR/requests.log,
a directory the deploy mounts from the host so the log outlives the container.
"""

from __future__ import annotations

import logging
import sys
import time
from logging.handlers import WatchedFileHandler
from pathlib import Path
from urllib.parse import quote

from flask import Flask, Response, g, request

LOG_FILE = "requests.log"
# The engine's health probe calls this every few seconds: only its failures are news.
HEALTH_PATH = "/api/healthcheck"
FORMAT = "%(asctime)s pid=%(process)d %(levelname)s %(message)s"

request_log = logging.getLogger("requests")


def _file_handler(log_dir: str) -> logging.Handler | None:
    # Watched, not rotating: several workers share the file, so rotation is the host's
    # job (logrotate) and each worker reopens the file when it moves.
    try:
        return WatchedFileHandler(Path(log_dir) / LOG_FILE, encoding="utf-8")
    except OSError as error:
        print(f"LOG_DIR {log_dir} cannot take {LOG_FILE} ({error.strerror}): logging to stdout "
              "only; mount a directory the app's uid can write there", file=sys.stderr)
        return None


def _handlers(log_dir: str | None) -> list[logging.Handler]:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stdout)]
    file_handler = _file_handler(log_dir) if log_dir else None
    if file_handler:
        handlers.append(file_handler)
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT))
    return handlers


def _use_handlers(logger: logging.Logger, handlers: list[logging.Handler]) -> None:
    for old in list(logger.handlers):
        logger.removeHandler(old)
        old.close()
    for handler in handlers:
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def install(app: Flask, log_dir: str | None) -> None:
    """Log every request of app, and its errors, to stdout and log_dir."""
    _use_handlers(request_log, _handlers(log_dir))
    _use_handlers(app.logger, _handlers(log_dir))

    @app.before_request
    def start_clock() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        if request.path == HEALTH_PATH and response.status_code == 200:
            return response
        started = g.get("request_started", time.perf_counter())
        duration_ms = (time.perf_counter() - started) * 1000
        # Quoted, so a path cannot forge a log line with an encoded newline.
        path = quote(request.path, safe="/:@!$&'()*+,;=-._~")
        request_log.info(
            "method=%s path=%s status=%d duration_ms=%.1f",
            request.method, path, response.status_code, duration_ms,
        )
        return response
