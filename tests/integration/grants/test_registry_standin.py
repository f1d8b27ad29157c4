"""The local stand-in for the company registry, running for real (a server thread on a free
port, and the command `make run` will start), asked by the adapter itself."""
import json
import os
import subprocess
import sys
import threading
import uuid
from datetime import date

import pytest
import requests
from werkzeug.serving import make_server

from services.grants.registry import ACTIVE, CEASED, UNKNOWN, Registry, RegistryBusy, RegistrySettings
from services.grants.registry_standin import create_app, firm_record, write_firms
from shared.core.config import ROOT
from shared.core.pacing import Pace
from tests.conftest import free_port, wait_until

ACTIVE_SIREN, CEASED_SIREN, HIDDEN_SIREN = "732829320", "412345670", "500123450"
FIRMS = [
    firm_record(ACTIVE_SIREN, "Lumière & Fils Productions", date(2015, 3, 2)),
    firm_record(CEASED_SIREN, "Studio des Capucins", date(2019, 6, 17), date(2023, 9, 30)),
]


@pytest.fixture
def firms_file(tmp_path):
    path = tmp_path / "registry-firms.json"
    write_firms(path, FIRMS)
    return path


@pytest.fixture
def standin(firms_file):
    """The stand-in serving on a free port in a thread; yields its address."""
    servers = []

    def start(max_per_second=0):
        server = make_server("127.0.0.1", 0, create_app(firms_file, max_per_second), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()


def _registry(base_url, per_second=7):
    pace = Pace(os.environ["REDIS_URL"], f"standin-{uuid.uuid4().hex[:6]}", per_second,
                namespace=os.environ["DRAMATIQ_NAMESPACE"])
    return Registry(pace, RegistrySettings(base_url=base_url, per_second=per_second, timeout_seconds=2))


def test_the_adapter_reads_active_ceased_and_unknown_firms_from_the_standin(standin):
    registry = _registry(standin())
    active = registry.check(ACTIVE_SIREN)
    assert (active.status, active.created_on, active.closed_on) == (ACTIVE, date(2015, 3, 2), None)
    assert active.legal_name == "Lumière & Fils Productions"
    ceased = registry.check(CEASED_SIREN)
    assert (ceased.status, ceased.closed_on) == (CEASED, date(2023, 9, 30))
    # Not in the file: as the API answers a firm that is unknown or not listed.
    hidden = registry.check(HIDDEN_SIREN)
    assert hidden.status == UNKNOWN
    assert hidden.document == {"results": [], "total_results": 0, "page": 1, "per_page": 10, "total_pages": 0}


def test_the_standin_answers_in_the_apis_shape(standin):
    base = standin()
    document = requests.get(f"{base}/search", params={"q": "73282932000010"}, timeout=2).json()  # a SIRET
    assert set(document) == {"results", "total_results", "page", "per_page", "total_pages"}
    (unit,) = document["results"]
    assert unit["siren"] == ACTIVE_SIREN
    assert unit["siege"]["siret"] == "73282932000010" and unit["siege"]["est_siege"] is True
    assert {"nom_complet", "etat_administratif", "date_creation", "date_fermeture", "statut_diffusion",
            "matching_etablissements", "complements"} <= set(unit)
    by_words = requests.get(f"{base}/search", params={"q": "studio capucins"}, timeout=2).json()
    assert [u["siren"] for u in by_words["results"]] == [CEASED_SIREN]
    too_short = requests.get(f"{base}/search", params={"q": "ab"}, timeout=2)
    assert too_short.status_code == 400 and "erreur" in too_short.json()


def test_the_standin_reads_its_file_again_when_it_changes(standin, firms_file):
    registry = _registry(standin())
    assert registry.check(HIDDEN_SIREN).status == UNKNOWN
    write_firms(firms_file, FIRMS + [firm_record(HIDDEN_SIREN, "Atelier Sonore", date(2020, 1, 6), date(2024, 2, 29))])
    answer = registry.check(HIDDEN_SIREN)
    assert (answer.status, answer.closed_on) == (CEASED, date(2024, 2, 29))


def test_above_its_rate_the_standin_answers_429_and_the_adapter_says_busy(standin):
    base = standin(max_per_second=2)
    # The adapter's own pace set above the stand-in's, to meet its 429.
    registry = _registry(base, per_second=10)
    assert registry.check(ACTIVE_SIREN).status == ACTIVE
    assert registry.check(ACTIVE_SIREN).status == ACTIVE
    with pytest.raises(RegistryBusy) as busy:
        registry.check(ACTIVE_SIREN)
    assert busy.value.http_status == 429 and busy.value.retry_after == 1.0


def test_the_standin_runs_as_a_command(firms_file):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "services.grants.registry_standin", "--port", str(port), "--firms", str(firms_file)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        def answers():
            try:
                return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).ok
            except requests.ConnectionError:
                return False

        wait_until(answers, timeout=15, message="the stand-in to answer")
        answer = _registry(f"http://127.0.0.1:{port}").check(CEASED_SIREN)
        assert (answer.status, answer.closed_on) == (CEASED, date(2023, 9, 30))
        assert json.loads(answer.raw)["results"][0]["nom_complet"] == "Studio des Capucins"
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert process.returncode == 0, output
    assert f"listening on 127.0.0.1:{port}" in output and "stopped" in output
