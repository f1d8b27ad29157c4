"""Each request's id and one log line per answer (method, path, status, duration).

The id comes from the `X-Request-ID` header (or is made up), is returned in the response and
is carried into every event the request causes (see `shared.core.logs`).
"""
from __future__ import annotations

import logging
import time

from flask import Flask, g, request

from shared.core.logs import current_request_id, new_request_id, reset_request_id, set_request_id


def request_id_from(incoming: str) -> str:
    """The request's id: the caller's `X-Request-ID` only when it is a plain token, so that logs
    cannot be forged, else a new one."""
    return incoming if incoming.isalnum() and len(incoming) <= 64 else new_request_id()


def request_log(app: Flask) -> logging.Logger:
    """Where a service's answers are logged, a line each (`log_answer`)."""
    return logging.getLogger(f"tremplin.{app.name}.http")


def log_answer(log: logging.Logger, method: str, path: str, status: int, started: float, **more) -> None:
    """An answer's line: method, path, status and the time since `started` (perf_counter)."""
    log.info("request", extra={"method": method, "path": path, "status": status,
                               "duration_ms": round((time.perf_counter() - started) * 1000, 2), **more})


def init_request_logging(app: Flask) -> None:
    log = request_log(app)

    @app.before_request
    def _start():
        g._request_id_token = set_request_id(request_id_from(request.headers.get("X-Request-ID", "")))
        g._started = time.perf_counter()

    @app.after_request
    def _finish(response):
        response.headers["X-Request-ID"] = current_request_id() or ""
        log_answer(log, request.method, request.path, response.status_code, g.get("_started", time.perf_counter()))
        return response

    @app.teardown_request
    def _reset(_exc):
        token = g.pop("_request_id_token", None)
        if token is not None:
            reset_request_id(token)
