"""Answers shaped like the company registry's API "Recherche d'entreprises" (GET /search?q=...),
written out by hand from its response model (search-api's UniteLegaleResponse, paginated):
`results[]` of legal units with their head office (`siege`), then the page's counts. Errors
come as `{"erreur": "..."}`.

The SIRENs are valid (Luhn) but made up.
"""
import json

ACTIVE_SIREN = "732829320"
CEASED_SIREN = "412345670"
UNKNOWN_SIREN = "500123450"
CEASED_NO_DATE_SIREN = "812345676"


def _unit(siren, name, state, created, closed, activity="59.11A", city="LYON", postal_code="69001"):
    head_office = {
        "activite_principale": activity,
        "activite_principale_naf25": None,
        "annee_tranche_effectif_salarie": "2023",
        "adresse": f"12 RUE DES CAPUCINS {postal_code} {city}",
        "caractere_employeur": "O",
        "cedex": None,
        "code_pays_etranger": None,
        "code_postal": postal_code,
        "commune": "69381",
        "complement_adresse": None,
        "coordonnees": "45.768,4.833",
        "date_creation": created,
        "date_debut_activite": created,
        "date_fermeture": closed,
        "date_mise_a_jour": "2025-11-03T09:12:44",
        "date_mise_a_jour_insee": "2025-11-02T22:01:10",
        "departement": "69",
        "distribution_speciale": None,
        "epci": "200046977",
        "est_siege": True,
        "etat_administratif": state,
        "geo_adresse": f"12 Rue des Capucins {postal_code} Lyon",
        "geo_id": "69381_1430_00012",
        "indice_repetition": None,
        "latitude": "45.768",
        "libelle_cedex": None,
        "libelle_commune": city,
        "libelle_commune_etranger": None,
        "libelle_pays_etranger": None,
        "libelle_voie": "DES CAPUCINS",
        "liste_enseignes": None,
        "liste_finess": None,
        "liste_id_bio": None,
        "liste_idcc": None,
        "liste_id_organisme_formation": None,
        "liste_rge": None,
        "liste_uai": None,
        "longitude": "4.833",
        "nom_commercial": None,
        "numero_voie": "12",
        "region": "84",
        "siret": siren + "00074",
        "statut_diffusion_etablissement": "O",
        "tranche_effectif_salarie": "03",
        "type_voie": "RUE",
    }
    return {
        "siren": siren,
        "nom_complet": name,
        "nom_raison_sociale": name.upper(),
        "sigle": None,
        "nombre_etablissements": 2,
        "nombre_etablissements_ouverts": 1 if state == "A" else 0,
        "siege": head_office,
        "activite_principale": activity,
        "activite_principale_naf25": None,
        "categorie_entreprise": "PME",
        "caractere_employeur": "O",
        "annee_categorie_entreprise": "2023",
        "date_creation": created,
        "date_fermeture": closed,
        "date_mise_a_jour": "2025-11-03T09:12:44",
        "date_mise_a_jour_insee": "2025-11-02T22:01:10",
        "date_mise_a_jour_rne": "2025-10-28T14:20:01",
        "dirigeants": [{"nom": "MARTIN", "prenoms": "CLAIRE", "annee_de_naissance": "1984",
                        "qualite": "Président de SAS", "nationalite": "Française", "type_dirigeant": "personne physique"}],
        "etat_administratif": state,
        "nature_juridique": "5710",
        "section_activite_principale": "J",
        "tranche_effectif_salarie": "03",
        "annee_tranche_effectif_salarie": "2023",
        "statut_diffusion": "O",
        "matching_etablissements": [dict(head_office)],
        "finances": {"2023": {"ca": 412000, "resultat_net": 18500}},
        "complements": {"collectivite_territoriale": None, "convention_collective_renseignee": False,
                        "est_association": False, "est_entrepreneur_spectacle": True, "est_ess": False,
                        "est_service_public": False, "statut_entrepreneur_spectacle": "valide"},
        "score": 1.0,
    }


def page(*units):
    return json.dumps({
        "results": list(units), "total_results": len(units), "page": 1, "per_page": 10,
        "total_pages": 1 if units else 0,
    }, ensure_ascii=False)


ACTIVE = page(_unit(ACTIVE_SIREN, "LUMIÈRE & FILS PRODUCTIONS", "A", "2015-03-02", None))
CEASED = page(_unit(CEASED_SIREN, "STUDIO DES CAPUCINS", "C", "2019-06-17", "2023-09-30"))
CEASED_NO_DATE = page(_unit(CEASED_NO_DATE_SIREN, "ATELIER SONORE", "C", "2018-01-08", None))
# Nothing matches this SIREN (unknown, or the firm chose not to be listed).
NOT_FOUND = page()
# A search whose only result is another firm: not the one asked about.
OTHER_FIRM = page(_unit(ACTIVE_SIREN, "LUMIÈRE & FILS PRODUCTIONS", "A", "2015-03-02", None))
TOO_MANY = json.dumps({"erreur": "Vous avez effectué trop de requêtes. Veuillez réessayer plus tard."})
BAD_REQUEST = json.dumps({"erreur": "Veuillez indiquer au moins un paramètre de recherche."})
SERVER_ERROR = json.dumps({"erreur": "Une erreur inattendue s'est produite. Veuillez réessayer plus tard."})
