"""The references of the HTTP rows of bench/platform_load.py, served by gunicorn with the services'
own settings (shared.web.server):
- Flask's hello world, in JSON: what a request costs before any work of ours;
- a draft's summary saved at its leanest (`PATCH /lean/applications/<id>`): one UPDATE by psycopg
  on a connection of the thread's own, in autocommit (one round trip), and the id and summary
  back in JSON; no account, no schema, no ORM, no unit of work, no log. What a save would cost if
  it did nothing but write, beside the draft save that does what a save must."""
import os
import threading

from flask import Flask, abort, jsonify, request


def create_app() -> Flask:
    app = Flask(__name__)
    local = threading.local()

    @app.get("/hello")
    def hello():
        return jsonify(hello="world")

    @app.patch("/lean/applications/<int:application_id>")
    def lean_save(application_id: int):
        import psycopg

        connection = getattr(local, "connection", None)
        if connection is None:
            url = os.environ["GRANTS_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
            connection = local.connection = psycopg.connect(url, autocommit=True)
        summary = request.get_json()["summary"]
        row = connection.execute("UPDATE applications SET summary = %s, updated_at = now() WHERE id = %s RETURNING id",
                                 (summary, application_id)).fetchone()
        if row is None:
            abort(404)
        return jsonify(id=row[0], summary=summary)

    return app
