"""Memorable request bodies and the calls that set up a labelled ledger over HTTP."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

STAGE_5: dict[str, Any] = {
    "number": 5,
    "title": "Phase V",
    "starts_on": "2023-01-01",
    "ends_on": "2026-12-31",
    "decided_by": "Prime Minister",
    "criteria": [
        {"code": "members", "description": "more than 150 members", "threshold": 150,
         "operator": "gt"},
        {"code": "private-funding", "description": "private funding above 50%",
         "threshold": 0.5, "unit": "share", "operator": "gt"},
    ],
    "requirements": {"minimum_european_label": "bronze"},
}
GRANT_5: dict[str, Any] = {
    "stage": 5,
    "decided_on": "2023-03-27",
    "decided_by": "Prime Minister",
    "effective_from": "2023-03-27",
    "decision_ref": "Lescure, AG AFPC, 27 March 2023",
    "source": "https://www.entreprises.gouv.fr/poles-phase-5",
}
EXTENSION: dict[str, Any] = {
    "decided_on": "2024-03-27",
    "valid_until": "2026-12-31",
    "reason": "consolidated roadmap",
}
WITHDRAWAL: dict[str, Any] = {
    "decided_on": "2024-06-01",
    "effective_on": "2024-07-01",
    "decided_by": "Prime Minister",
    "reason": "criteria no longer met",
}
REVIEW: dict[str, Any] = {
    "stage": 5,
    "reviewed_on": "2024-01-15",
    "reviewer": "DGE",
    "kind": "annual review",
    "measurements": {"members": 830, "private-funding": 0.62},
    "outcome": "meets the criteria",
}
EUROPEAN_LABEL: dict[str, Any] = {
    "level": "gold",
    "awarded_on": "2023-06-01",
    "valid_until": "2025-06-01",
    "issuer": "ESCA",
}
MEMBERSHIP: dict[str, Any] = {
    "as_of": "2023-12-31",
    "members": {"very_small": 300, "sme": 280, "intermediate_large": 150, "research": 70,
                "other": 30},
    "private_funding_share": 0.62,
}


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def registration(slug: str, name: str | None = None) -> dict[str, Any]:
    return {
        "slug": slug,
        "name": name or slug.replace("-", " ").title(),
        "regions": ["Occitanie", "Nouvelle-Aquitaine"],
        "themes": ["aéronautique", "espace"],
        "founded_on": "2005-07-12",
    }


def post(client: TestClient, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def labelled(client: TestClient, admin: dict[str, str]) -> None:
    """Stage 5 open; aerospace-valley labelled for it; polymeris registered, unlabelled."""
    post(client, "/stages", STAGE_5, admin)
    post(client, "/clusters", registration("aerospace-valley"), admin)
    post(client, "/clusters", registration("polymeris"), admin)
    post(client, "/clusters/aerospace-valley/label-grants", GRANT_5, admin)


def write_endpoints() -> list[tuple[str, dict[str, Any]]]:
    """Every write endpoint with a body it would accept on the ``labelled`` ledger."""
    av = "/clusters/aerospace-valley"
    return [
        ("/stages", {**STAGE_5, "number": 6, "starts_on": "2027-01-01", "ends_on": "2030-12-31"}),
        ("/stages/5/closure", {"closed_on": "2026-12-31"}),
        ("/stages/5/corrections", {"event_id": "stage:5@1", "reason": "typo",
                                   "amended": {"title": "Phase 5"}}),
        ("/clusters", registration("systematic")),
        ("/clusters/polymeris/label-grants", GRANT_5),
        (f"{av}/label-extensions", EXTENSION),
        (f"{av}/label-withdrawals", WITHDRAWAL),
        (f"{av}/criteria-reviews", REVIEW),
        (f"{av}/european-labels", EUROPEAN_LABEL),
        (f"{av}/membership-reports", MEMBERSHIP),
        ("/clusters/polymeris/merger", {"into": "aerospace-valley", "effective_on": "2024-01-01"}),
        (f"{av}/renaming", {"name": "Aerospace Valley France", "effective_on": "2024-01-01"}),
        ("/clusters/polymeris/dissolution", {"effective_on": "2024-01-01", "reason": "wound up"}),
        (f"{av}/corrections", {"event_id": "cluster:aerospace-valley@2", "reason": "wrong ref",
                               "amended": {"decision_ref": "CIADT 2023"}}),
    ]
