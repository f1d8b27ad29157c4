import json
import logging

from shared.core.logs import JsonFormatter, request_id_context


def test_log_lines_are_json_with_the_request_id():
    record = logging.makeLogRecord({"name": "tremplin.test", "levelname": "INFO", "msg": "hello %s", "args": ("you",)})
    record.event_id = "e-1"
    with request_id_context("req-7"):
        line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "hello you"
    assert line["request_id"] == "req-7"
    assert line["event_id"] == "e-1"
    assert line["level"] == "info"
