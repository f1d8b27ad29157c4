"""Structured logs: one JSON object a line, with the request id of the work being done.

The request id comes from the `X-Request-ID` header (or is made up), is returned in the
response, is written into every event the request causes, and is set again by the consumer
that handles the event, so one id follows an action across services.
"""
from __future__ import annotations

import json
import logging
import sys
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_service: ContextVar[str | None] = ContextVar("service", default=None)

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def current_request_id() -> str | None:
    return _request_id.get()


@contextmanager
def request_id_context(request_id: str | None):
    token = _request_id.set(request_id or new_request_id())
    try:
        yield _request_id.get()
    finally:
        _request_id.reset(token)


def set_request_id(request_id: str):
    """Set the id of the work being done; returns the token that `reset_request_id` takes."""
    return _request_id.set(request_id)


def reset_request_id(token) -> None:
    _request_id.reset(token)


def new_request_id() -> str:
    return uuid.uuid4().hex


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "service": _service.get(),
            "request_id": _request_id.get(),
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(service: str, json_lines: bool = True, level: int = logging.INFO) -> None:
    _service.set(service)
    root = logging.getLogger()
    if any(getattr(h, "_tremplin", False) for h in root.handlers):
        return
    formatter = JsonFormatter() if json_lines else logging.Formatter("%(levelname)s %(name)s %(message)s")
    # A dramatiq worker process has already called logging.basicConfig, whose handler writes to
    # the same stream (sys.stderr is dramatiq's pipe there): a second handler of ours would write
    # every line twice, so that handler takes our format instead.
    handler = next((h for h in root.handlers if _writes_to_stderr(h)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        root.addHandler(handler)
    handler._tremplin = True
    handler.setFormatter(formatter)
    root.setLevel(level)


def _writes_to_stderr(handler: logging.Handler) -> bool:
    # Exactly a StreamHandler: a file handler or pytest's capture handler is someone else's.
    return type(handler) is logging.StreamHandler and handler.stream is sys.stderr
