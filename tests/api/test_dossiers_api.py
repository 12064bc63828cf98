"""POST /api/v1/dossiers and GET /api/v1/dossiers/{code}: integration keys, the upsert's
counts, all-or-nothing refusals (400 naming row and field, 403 outside the key's units,
413 over the batch limit), the OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import Dossier, IntegrationKey, Unit
from survey_app.services.dossiers import keys

from ..dossiers.helpers import dossier, tree


@pytest.fixture
def units(app: Flask) -> dict[str, Unit]:
    return tree()


def make_key(unit: Unit, name: str = "iGate") -> str:
    made = keys.create(name, unit, None)
    db.session.commit()
    return made.secret


@pytest.fixture
def key(units: dict[str, Unit]) -> str:
    return make_key(units["P"])


def send(client: FlaskClient, key: str, rows: Any, **kw: Any) -> Any:
    return client.post(
        "/api/v1/dossiers",
        json={"dossiers": rows},
        headers={"Authorization": f"Bearer {key}"},
        **kw,
    )


def stored() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Dossier)) or 0)


def test_created_updated_unchanged_counts(client: FlaskClient, key: str) -> None:
    first = send(client, key, [dossier(1), dossier(2, outcome="dang_xu_ly", returned_at=None)])
    assert first.status_code == 200
    assert first.json == {"created": 2, "updated": 0, "unchanged": 0}
    # dossier 2 is now returned, dossier 3 is new, dossier 1 is sent again as it was
    again = send(client, key, [dossier(1), dossier(2), dossier(3)])
    assert again.json == {"created": 1, "updated": 1, "unchanged": 1}
    db.session.expire_all()
    two = db.session.scalar(select(Dossier).where(Dossier.code.endswith("0002")))
    assert two is not None and two.outcome == "da_tra" and two.changed_at > two.created_at
    assert str(two.returned_day) == "2026-10-20"
    assert send(client, key, [dossier(1), dossier(2), dossier(3)]).json == {
        "created": 0,
        "updated": 0,
        "unchanged": 3,
    }
    assert stored() == 3


def test_code_is_normalised_for_the_upsert(client: FlaskClient, key: str) -> None:
    send(client, key, [dossier(1)])
    lower = dossier(1, code="  h15.50.05.13-261008-0001 ")
    assert send(client, key, [lower]).json == {"created": 0, "updated": 0, "unchanged": 1}


def test_bad_row_is_named_and_nothing_is_stored(client: FlaskClient, key: str) -> None:
    resp = send(client, key, [dossier(1), dossier(2, due_date="22/10/2026"), dossier(3)])
    assert resp.status_code == 400
    assert "dossiers[1].due_date" in resp.json["errors"]
    assert "YYYY-MM-DD" in resp.json["errors"]["dossiers[1].due_date"]
    assert stored() == 0


def test_every_bad_row_is_named(client: FlaskClient, key: str) -> None:
    rows = [
        dossier(1, outcome="xong"),
        dossier(2, returned_at=None),  # da_tra needs returned_at
        dossier(3, code="khong-co-dang"),
        dossier(4, receiving_counter="Q9"),
        dossier(4),  # the same code as row 3's valid twin
        dossier(5, extra="x"),
        "not an object",
    ]
    rows[4]["code"] = rows[3]["code"] = dossier(6)["code"]
    resp = send(client, key, rows)
    assert resp.status_code == 400
    assert set(resp.json["errors"]) >= {
        "dossiers[0].outcome",
        "dossiers[1].returned_at",
        "dossiers[2].code",
        "dossiers[3].receiving_counter",
        "dossiers[5].extra",
        "dossiers[6]",
    }
    assert stored() == 0


def test_english_messages_with_the_english_ui(client: FlaskClient, key: str) -> None:
    client.get("/?lang=en")
    resp = send(client, key, [dossier(1, due_date="x")])
    assert resp.status_code == 400
    assert "not a date" in resp.json["errors"]["dossiers[0].due_date"]
    assert "nothing was stored" in resp.json["error"]


@pytest.mark.parametrize("header", ["", "Bearer ", "Bearer sipk_wrong", "Basic abc"])
def test_missing_or_wrong_key_is_401(client: FlaskClient, key: str, header: str) -> None:
    resp = client.post(
        "/api/v1/dossiers", json={"dossiers": [dossier(1)]}, headers={"Authorization": header}
    )
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert stored() == 0


def test_counter_token_is_not_a_key(client: FlaskClient, key: str) -> None:
    from ..factories import make_counter, token_of

    token = token_of(make_counter(db.session.scalar(select(Unit).where(Unit.code == "B"))))
    assert send(client, token, [dossier(1)]).status_code == 401


def test_revoked_key_is_401(client: FlaskClient, key: str) -> None:
    assert send(client, key, [dossier(1)]).status_code == 200
    found = db.session.scalar(select(IntegrationKey))
    assert found is not None
    keys.revoke(found, None)
    db.session.commit()
    assert send(client, key, [dossier(2)]).status_code == 401
    assert (
        client.get(
            f"/api/v1/dossiers/{dossier(1)['code']}", headers={"Authorization": f"Bearer {key}"}
        ).status_code
        == 401
    )
    assert stored() == 1


def test_uses_are_counted(client: FlaskClient, key: str) -> None:
    send(client, key, [dossier(1)])
    send(client, key, [dossier(1)])
    found = db.session.scalar(select(IntegrationKey))
    db.session.refresh(found)
    assert found is not None and found.use_count == 2 and found.last_used_at is not None


def test_dossier_outside_the_keys_units_is_403(client: FlaskClient, units: dict[str, Unit]) -> None:
    key_a = make_key(units["A"], "A only")
    # received at A (inside) but resolved by B (a sibling, outside A's subtree)
    resp = send(client, key_a, [dossier(1, resolving_unit="A"), dossier(2)])
    assert resp.status_code == 403
    assert "dossiers[1].resolving_unit" in resp.json["errors"]
    assert stored() == 0
    resp = send(client, key_a, [dossier(1, receiving_unit="OUT", receiving_counter="")])
    assert resp.status_code == 403
    assert stored() == 0


def test_more_than_the_batch_limit_is_413(client: FlaskClient, key: str) -> None:
    rows = [dossier(i) for i in range(1001)]
    rows[5]["due_date"] = "bad"  # not even looked at
    resp = send(client, key, rows)
    assert resp.status_code == 413
    assert "1001" in resp.json["error"] and "1000" in resp.json["error"]
    assert stored() == 0


def test_the_batch_limit_itself_is_accepted(client: FlaskClient, key: str) -> None:
    resp = send(client, key, [dossier(i) for i in range(1000)])
    assert resp.status_code == 200 and resp.json["created"] == 1000


def test_body_not_a_batch_is_400(client: FlaskClient, key: str) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    assert client.post("/api/v1/dossiers", json=[1], headers=headers).status_code == 400
    assert client.post("/api/v1/dossiers", data="x{", headers=headers).status_code == 400
    assert send(client, key, []).status_code == 400


def test_database_busy_is_503_with_retry_after(
    client: FlaskClient, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from survey_app.services.dossiers import ingest

    def busy(*_a: Any, **_k: Any) -> Any:
        raise ingest.DatabaseBusy()

    monkeypatch.setattr(ingest, "ingest", busy)
    resp = send(client, key, [dossier(1)])
    assert resp.status_code == 503 and resp.headers["Retry-After"]


def test_read_one_dossier(client: FlaskClient, key: str, units: dict[str, Unit]) -> None:
    send(client, key, [dossier(1)])
    headers = {"Authorization": f"Bearer {key}"}
    resp = client.get("/api/v1/dossiers/h15.50.05.13-261008-0001", headers=headers)
    assert resp.status_code == 200
    body = resp.json
    assert body["code"] == "H15.50.05.13-261008-0001"
    assert body["receiving_unit"] == "A" and body["resolving_unit"] == "B"
    assert body["receiving_counter"] == "Q1"
    assert body["received_at"] == "2026-10-08T01:30:00Z"
    assert body["timing"] == "early"
    assert body["invited"] is False and body["answered"] is False
    assert "answers" not in body
    assert client.get("/api/v1/dossiers/H1-261008-9", headers=headers).status_code == 404
    other = make_key(units["B"], "B only")  # resolving B but received at A: not B's alone
    other_headers = {"Authorization": f"Bearer {other}"}
    resp = client.get("/api/v1/dossiers/H15.50.05.13-261008-0001", headers=other_headers)
    assert resp.status_code == 404


def test_openapi_document_has_the_dossier_paths(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").json
    validate(doc)
    assert "post" in doc["paths"]["/api/v1/dossiers"]
    assert "get" in doc["paths"]["/api/v1/dossiers/{code}"]
    assert {"DossierIn", "DossierBatch", "DossierCounts", "DossierOut"} <= set(
        doc["components"]["schemas"]
    )
    assert (
        doc["components"]["schemas"]["DossierBatch"]["properties"]["dossiers"]["maxItems"] == 1000
    )
