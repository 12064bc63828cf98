"""Defect 5: the API refuses exactly what its published schema refuses.

Each body is checked twice: by ``jsonschema`` against ``ResponseIn`` as served at
``/api/v1/openapi.json``, and by the server. A body the schema accepts is stored (201); a body
it refuses is a 400 with a message for the field. (The server also refuses what no schema can
say — an item of another questionnaire version, an unknown procedure, a used receipt — and
those cases are elsewhere.)
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator

from ..factories import all_responses, make_counter, make_procedure, make_unit, token_of

OK = {"answers": {"A1": 5}}
CASES: list[tuple[dict[str, Any], str | None]] = [
    # (body, the field the server names when it refuses; None = stored)
    ({"answers": {"A1": 3.0}}, None),  # an integer by JSON Schema: accepted, stored as 3
    ({**OK, "questionnaire": None}, None),  # null = the unit's questionnaire
    ({**OK, "questionnaire": "sipas-2024-dv"}, None),
    ({**OK, "idempotency_key": ""}, "idempotency_key"),
    ({**OK, "idempotency_key": "short"}, "idempotency_key"),
    ({**OK, "idempotency_key": "kiosk-0001-abcdef"}, None),
    ({"answers": {"A0": 0}}, "answers"),  # no real answer
    ({"answers": {"A1": 0, "A2": None}}, "answers"),
    ({"answers": {"A1": 0, "A2": 4}}, None),
    ({"answers": {}}, "answers"),
    ({"answers": {"A1": 6}}, "answers.A1"),
    ({"answers": {"A1": -1}}, "answers.A1"),
    ({"answers": {"A1": 2.5}}, "answers.A1"),
    ({"answers": {"A1": "5"}}, "answers.A1"),
    ({"answers": {"Q5": 3}}, None),
    ({"answers": {"Q5": 4}}, "answers.Q5"),  # integrity items: 1–3
    ({"answers": {"X5": 4}}, None),
    ({"answers": {"X5": 5}}, "answers.X5"),  # expectation items: 1–4
    ({"answers": {"ZZ": 5}}, "answers.ZZ"),
    ({"answers": [5]}, "answers"),
    ({}, "answers"),
    ({**OK, "channel": ""}, "channel"),
    ({**OK, "channel": None}, None),
    ({**OK, "channel": "buu_chinh"}, None),
    ({**OK, "comment": "x" * 2000}, None),
    ({**OK, "comment": "x" * 2001}, "comment"),
    ({**OK, "comment": 12}, "comment"),
    ({**OK, "transaction_ref": "x" * 65}, "transaction_ref"),
    ({**OK, "source": "kiosk"}, None),
    ({**OK, "source": "qr"}, "source"),
    ({**OK, "name": "Nguyễn Văn A"}, "name"),
]


@pytest.fixture
def token(app: Flask) -> str:
    unit = make_unit()
    make_procedure(unit)
    return token_of(make_counter(unit))


@pytest.fixture
def published(client: FlaskClient) -> Draft202012Validator:
    doc = client.get("/api/v1/openapi.json").json
    return Draft202012Validator(doc["components"]["schemas"]["ResponseIn"])


@pytest.mark.parametrize("body, field", CASES)
def test_server_and_published_schema_agree(
    client: FlaskClient,
    token: str,
    published: Draft202012Validator,
    body: dict[str, Any],
    field: str | None,
) -> None:
    resp = client.post("/api/v1/responses", json=body, headers={"Authorization": f"Bearer {token}"})
    assert published.is_valid(body) == (field is None)
    if field is None:
        assert resp.status_code == 201, resp.json
        return
    assert resp.status_code == 400, resp.json
    assert field in resp.json["errors"], resp.json
    assert all_responses() == []


def test_a_whole_float_is_stored_as_its_integer(client: FlaskClient, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/responses", json={"answers": {"A1": 3.0}}, headers=headers)
    [stored] = all_responses()
    assert stored.answers == {"A1": 3} and isinstance(stored.answers["A1"], int)


@pytest.mark.parametrize("app_config", [{"MAX_COMMENT_LENGTH": 50}])
def test_the_published_comment_limit_is_the_setting(client: FlaskClient, token: str) -> None:
    doc = client.get("/api/v1/openapi.json").json
    assert doc["components"]["schemas"]["ResponseIn"]["properties"]["comment"]["maxLength"] == 50
    resp = client.post(
        "/api/v1/responses",
        json={**OK, "comment": "x" * 51},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert resp.status_code == 400 and "comment" in resp.json["errors"]


def test_errors_are_translated(client: FlaskClient, token: str) -> None:
    client.get("/?lang=en")
    resp = client.post(
        "/api/v1/responses",
        json={"answers": {"A1": 0}, "channel": "fax"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert resp.status_code == 400
    assert resp.json["errors"] == {
        "answers": "Please answer at least one question.",
        "channel": "Unknown channel.",
    }
