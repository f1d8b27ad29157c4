"""What every service answers: health, readiness, OpenAPI, and JSON errors."""
import pytest

SERVICES = ("grants", "crowdfunding", "notifications", "accounts")


def _app(service, **settings):
    import importlib

    module = importlib.import_module(f"services.{service}.app")
    return module.create_app({"TESTING": True, "SETTINGS_OVERRIDES": settings})


@pytest.mark.parametrize("service", SERVICES)
def test_health_readiness_and_openapi(service):
    client = _app(service).test_client()
    assert client.get("/healthz").get_json() == {"status": "ok", "service": service}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"] == {"database": "ok", "redis": "ok"}
    spec = client.get("/openapi.json").get_json()
    assert spec["info"]["title"] == f"Tremplin {service}"
    assert ("/api/auth/token" in spec["paths"]) == (service == "accounts")  # the accounts service signs in
    docs = client.get("/docs")
    assert docs.status_code == 200 and b"/docs-assets/swagger-ui-bundle.js" in docs.data
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200


@pytest.mark.parametrize("service", SERVICES)
def test_readiness_names_redis_when_it_does_not_answer(service):
    client = _app(service, redis_url="redis://127.0.0.1:1/0").test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("unavailable")
    assert "redis" in body["message"]


def test_readiness_names_the_database_when_it_does_not_answer(databases):
    missing = databases["grants"].rsplit("/", 1)[0] + "/tremplin_no_such_database"
    response = _app("grants", database_url=missing).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"].startswith("unavailable")
    assert response.get_json()["checks"]["redis"] == "ok"


def _error_shape(body):
    assert set(body) == {"code", "status", "message", "errors"}
    return body


@pytest.fixture
def accounts(accounts_app):
    return accounts_app.test_client()


def test_errors_are_json_with_code_status_message_errors(grants, accounts):
    body = _error_shape(grants.get("/api/nothing-here").get_json())
    assert body["code"] == 404 and body["status"] == "Not Found"

    response = accounts.delete("/api/auth/token")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    _error_shape(response.get_json())


def test_unknown_and_invalid_fields_answer_422_per_field(accounts):
    response = accounts.post(
        "/api/accounts", json={"email": "not-an-email", "name": "", "password": "x", "admin": True}
    )
    assert response.status_code == 422
    errors = _error_shape(response.get_json())["errors"]["json"]
    assert set(errors) == {"email", "name", "password", "admin"}
    assert errors["admin"] == ["Unknown field."]


def test_malformed_json_and_wrong_media_type(accounts):
    response = accounts.post("/api/accounts", data="{not json", content_type="application/json")
    assert response.status_code == 400
    _error_shape(response.get_json())
    response = accounts.post("/api/accounts", data="email=a", content_type="text/plain")
    assert response.status_code == 415
    _error_shape(response.get_json())


def test_unexpected_error_is_500_without_a_trace():
    app = _app("grants")

    @app.get("/api/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/api/boom")
    assert response.status_code == 500
    body = _error_shape(response.get_json())
    assert "secret" not in response.get_data(as_text=True)
    assert body["message"] == "An unexpected error occurred."


def test_request_id_is_returned_and_accepted(grants):
    response = grants.get("/healthz", headers={"X-Request-ID": "abc123"})
    assert response.headers["X-Request-ID"] == "abc123"
    forged = grants.get("/healthz", headers={"X-Request-ID": "bad id; with spaces"})
    assert forged.headers["X-Request-ID"] != "bad id; with spaces"
    assert len(forged.headers["X-Request-ID"]) == 32


def test_the_database_pool_keeps_a_connection_per_web_thread():
    engine = _app("grants", web_threads=3).extensions["db"].engine
    assert engine.pool.size() == 3
    assert engine.pool._max_overflow == 3  # a request that briefly holds a second connection


def test_a_public_read_runs_without_a_transaction_and_leaves_none_behind(grants_app, grants):
    """GET /api/calls reads with `read_session`: no BEGIN or ROLLBACK round trip around its query.
    Its connection goes back to the pool as it came, so the next unit of work is a transaction."""
    from sqlalchemy import event

    engine = grants_app.extensions["db"].engine
    autocommit = []

    def record(connection, *_args):
        autocommit.append(connection.connection.dbapi_connection.autocommit)

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert grants.get("/api/calls").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert autocommit == [True]
    assert engine.pool.size() >= engine.pool.checkedin() == 1  # the one connection, back in the pool
    with grants_app.extensions["db"].unit_of_work() as session:
        assert session.connection().connection.dbapi_connection.autocommit is False
