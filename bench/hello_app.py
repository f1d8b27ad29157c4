"""The reference of the HTTP rows of bench/platform_load.py: Flask's hello world, in JSON, served by
gunicorn with the services' own settings (shared.web.server): what a request costs before any
work of ours."""
from flask import Flask, jsonify


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/hello")
    def hello():
        return jsonify(hello="world")

    return app
