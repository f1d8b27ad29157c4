"""A local stand-in for the company registry's API "Recherche d'entreprises", for `make run`
on machines with no internet: `GET /search?q=<siren or siret or words>` answered in the real
API's shape from a JSON file of firms.

    python -m services.grants.registry_standin --port 8005 --firms var/registry-firms.json

The file is a JSON list of legal units in the API's shape (`firm_record` writes one); it is
read again when it changes, so that the demo's seed can write it while the stand-in runs. A
firm that is not in the file is answered as the API answers a firm that is unknown or chose
not to be listed: no result. Like the API, it answers 400 to a query shorter than 3
characters and 429 with `Retry-After` above its rate (7 a second, `--max-per-second`).

Point the adapter at it with `REGISTRY_BASE_URL=http://127.0.0.1:8005`.
"""
from __future__ import annotations

import argparse
import collections
import json
import logging
import math
import os
import signal
import threading
import time
from datetime import date
from pathlib import Path

from flask import Flask, jsonify, request

from shared.core.config import VAR

log = logging.getLogger("tremplin.registry_standin")

DEFAULT_PORT = 8005
PER_PAGE = 10
QUERY_TOO_SHORT = "Veuillez indiquer au moins un paramètre de recherche."  # the API's own words
TOO_MANY = "Vous avez effectué trop de requêtes. Veuillez réessayer plus tard."


def firms_path() -> Path:
    return Path(os.environ.get("REGISTRY_STANDIN_FIRMS", VAR / "registry-firms.json"))


def firm_record(siren: str, name: str, created_on: date, closed_on: date | None = None, *,
                activity: str = "59.11A", postal_code: str = "69001", city: str = "LYON",
                legal_form: str = "5710", nic: str = "00010") -> dict:
    """A legal unit as the API gives it: the fields it always sends, those the adapter reads
    (`etat_administratif`, `date_creation`, `date_fermeture`) and its head office."""
    state = "C" if closed_on else "A"
    closed = closed_on.isoformat() if closed_on else None
    siret = siren + nic
    head_office = {
        "activite_principale": activity, "adresse": f"1 RUE DE LA REPUBLIQUE {postal_code} {city}",
        "code_postal": postal_code, "commune": "69381", "date_creation": created_on.isoformat(),
        "date_debut_activite": created_on.isoformat(), "date_fermeture": closed, "est_siege": True,
        "etat_administratif": state, "libelle_commune": city, "siret": siret, "tranche_effectif_salarie": "01",
        "statut_diffusion_etablissement": "O",
    }
    return {
        "siren": siren, "nom_complet": name, "nom_raison_sociale": name.upper(), "sigle": None,
        "nombre_etablissements": 1, "nombre_etablissements_ouverts": 0 if closed_on else 1,
        "siege": head_office, "activite_principale": activity, "categorie_entreprise": "PME",
        "annee_categorie_entreprise": str(created_on.year), "date_creation": created_on.isoformat(),
        "date_fermeture": closed, "date_mise_a_jour": created_on.isoformat(), "dirigeants": [],
        "etat_administratif": state, "nature_juridique": legal_form, "section_activite_principale": "J",
        "tranche_effectif_salarie": "01", "annee_tranche_effectif_salarie": str(created_on.year),
        "statut_diffusion": "O", "matching_etablissements": [dict(head_office)],
        "finances": None, "complements": {"est_association": legal_form.startswith("92"), "est_ess": False},
    }


def write_firms(path: Path, records: list[dict]) -> None:
    """Write the stand-in's file at once (a reader never sees half of it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(temporary, path)


class _Firms:
    """The file's firms, read again when its modification time changes."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._seen: tuple[int, int, int] | None = None
        self._records: list[dict] = []

    def records(self) -> list[dict]:
        try:
            stat = self.path.stat()
            seen = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            return []
        with self._lock:
            if seen != self._seen:
                try:
                    self._records = json.loads(self.path.read_text(encoding="utf-8"))
                except ValueError:
                    log.warning("registry stand-in: %s is not JSON; answering from the previous version", self.path)
                self._seen = seen
            return self._records


class _Rate:
    """At most `per_second` requests in any second, for the whole stand-in (0: no limit)."""

    def __init__(self, per_second: int):
        self.per_second = per_second
        self._times: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def wait_needed(self) -> float:
        if not self.per_second:
            return 0.0
        now = time.monotonic()
        with self._lock:
            while self._times and self._times[0] <= now - 1:
                self._times.popleft()
            if len(self._times) >= self.per_second:
                return self._times[0] + 1 - now
            self._times.append(now)
            return 0.0


def create_app(path: Path | None = None, max_per_second: int = 7) -> Flask:
    app = Flask(__name__)
    firms = _Firms(path or firms_path())
    rate = _Rate(max_per_second)

    @app.get("/search")
    def search():
        wait = rate.wait_needed()
        if wait > 0:
            answer = jsonify({"erreur": TOO_MANY})
            answer.status_code = 429
            answer.headers["Retry-After"] = str(max(1, math.ceil(wait)))
            return answer
        query = " ".join(request.args.get("q", "").split())
        if len(query) < 3:
            answer = jsonify({"erreur": QUERY_TOO_SHORT})
            answer.status_code = 400
            return answer
        page = max(1, request.args.get("page", 1, type=int) or 1)
        per_page = min(25, max(1, request.args.get("per_page", PER_PAGE, type=int) or PER_PAGE))
        found = _matching(firms.records(), query)
        return jsonify({
            "results": found[(page - 1) * per_page: page * per_page],
            "total_results": len(found),
            "page": page,
            "per_page": per_page,
            "total_pages": math.ceil(len(found) / per_page),
        })

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app


def _matching(records: list[dict], query: str) -> list[dict]:
    compact = query.replace(" ", "")
    if compact.isdigit() and len(compact) in (9, 14):
        # A SIREN, or a SIRET whose first nine digits are its unit's SIREN, as the API reads them.
        return [record for record in records if record.get("siren") == compact[:9]]
    words = query.lower().split()
    return [record for record in records
            if all(word in str(record.get("nom_complet", "")).lower() for word in words)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m services.grants.registry_standin",
        description="Local stand-in for the company registry's API (Recherche d'entreprises).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("REGISTRY_STANDIN_PORT", DEFAULT_PORT)))
    parser.add_argument("--firms", type=Path, default=None, help="the JSON file of firms (REGISTRY_STANDIN_FIRMS)")
    parser.add_argument("--max-per-second", type=int, default=7, help="above this, 429 (0: no limit)")
    arguments = parser.parse_args(argv)

    from werkzeug.serving import make_server

    path = arguments.firms or firms_path()
    server = make_server(arguments.host, arguments.port, create_app(path, arguments.max_per_second), threaded=True)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"registry stand-in listening on {arguments.host}:{server.server_port}, firms from {path.resolve()}",
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    print("registry stand-in stopped", flush=True)


if __name__ == "__main__":
    main()
