"""`/healthz`: the process answers. `/readyz`: its database and Redis answer too."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz():
    return jsonify(status="ok", service=current_app.config["SETTINGS"].service)


@blueprint.get("/readyz")
def readyz():
    checks = {}
    try:
        current_app.extensions["db"].ping()
        checks["database"] = "ok"
    except Exception as error:  # any failure means "not ready", named below
        checks["database"] = f"unavailable: {type(error).__name__}"
    try:
        current_app.extensions["redis"].ping()
        checks["redis"] = "ok"
    except Exception as error:
        checks["redis"] = f"unavailable: {type(error).__name__}"
    failing = [name for name, state in checks.items() if state != "ok"]
    body = {
        "status": "ready" if not failing else "unavailable",
        "service": current_app.config["SETTINGS"].service,
        "checks": checks,
    }
    if failing:
        body["message"] = f"Not ready: {', '.join(failing)} unavailable."
    return jsonify(body), (503 if failing else 200)
