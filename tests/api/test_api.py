"""JSON API for kiosks and one-stop software."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from survey_app.extensions import db
from survey_app.services import org
from survey_app.services.clock import local_day

from ..factories import all_responses, counter_of, make_counter, make_procedure, make_unit, token_of


@pytest.fixture
def token(app: Flask) -> str:
    unit = make_unit()
    make_procedure(unit)
    return token_of(make_counter(unit))


def send(client: FlaskClient, token: str, body: Any) -> Any:
    return client.post("/api/v1/responses", json=body, headers={"Authorization": f"Bearer {token}"})


def test_created_with_every_field(client: FlaskClient, token: str) -> None:
    resp = send(
        client,
        token,
        {
            "questionnaire": "sipas-2024-dv",
            "answers": {"A1": 5, "E2": None, "Q6": 1, "X8": 4},
            "procedure_code": "1.004227",
            "channel": "truc_tuyen_mot_phan",
            "comment": "Ổn",
            "transaction_ref": "HS-1",
            "idempotency_key": "kiosk-0001-abcdef",
            "source": "kiosk",
        },
    )
    assert resp.status_code == 201
    [stored] = all_responses()
    assert resp.json == {"id": stored.id}
    assert stored.answers == {"A1": 5, "Q6": 1, "X8": 4}
    assert stored.source == "kiosk" and stored.channel == "truc_tuyen_mot_phan"
    assert stored.procedure is not None and stored.procedure.code == "1.004227"


def test_stored_time_and_day_read_back_exactly(client: FlaskClient, token: str) -> None:
    before = datetime.now(UTC)
    assert send(client, token, {"answers": {"A1": 4}}).status_code == 201
    [stored] = all_responses()
    assert before <= stored.submitted_at <= datetime.now(UTC)
    assert stored.submitted_at.tzinfo is not None
    assert stored.local_day == local_day(stored.submitted_at)
    assert stored.answers == {"A1": 4} and stored.comment is None


def test_same_idempotency_key_returns_first_id(client: FlaskClient, token: str) -> None:
    body = {"answers": {"A1": 4}, "idempotency_key": "abcdefgh-1234"}
    first = send(client, token, body)
    second = send(client, token, {**body, "answers": {"A1": 1}})
    assert first.status_code == 201 and second.status_code == 200
    assert first.json["id"] == second.json["id"]
    assert [r.answers for r in all_responses()] == [{"A1": 4}]


def test_reused_receipt_is_409(client: FlaskClient, token: str) -> None:
    assert send(client, token, {"answers": {"A1": 4}, "transaction_ref": "X1"}).status_code == 201
    again = send(client, token, {"answers": {"A1": 4}, "transaction_ref": "x1"})
    assert again.status_code == 409
    assert "transaction_ref" in again.json["errors"]
    assert len(all_responses()) == 1


def test_receipt_is_per_unit(app: Flask, client: FlaskClient, token: str) -> None:
    other = token_of(make_counter(make_unit("U2", "Bộ phận Một cửa xã Thử")))
    assert send(client, token, {"answers": {"A1": 4}, "transaction_ref": "X1"}).status_code == 201
    assert send(client, other, {"answers": {"A1": 4}, "transaction_ref": "X1"}).status_code == 201


@pytest.mark.parametrize(
    "body, field",
    [
        ({"answers": {"A1": 6}}, "answers.A1"),
        ({"answers": {"A1": "5"}}, "answers.A1"),  # the schema says integer (tests/hardening)
        ({"answers": {"ZZ": 5}}, "answers.ZZ"),
        ({"answers": {"A1": True}}, "answers.A1"),
        ({"answers": {}}, "answers"),
        ({"answers": {"A1": 0}}, "answers"),
        ({"answers": [5]}, "answers"),
        ({"answers": {"A1": 5}, "comment": "x" * 2001}, "comment"),
        ({"answers": {"A1": 5}, "channel": "fax"}, "channel"),
        ({"answers": {"A1": 5}, "procedure_code": "9.999999"}, "procedure"),
        ({"answers": {"A1": 5}, "questionnaire": "sipas-1999"}, "questionnaire"),
        ({"answers": {"A1": 5}, "idempotency_key": "!"}, "idempotency_key"),
        ({"answers": {"A1": 5}, "name": "Nguyễn Văn A"}, "name"),
        ({"answers": {"A1": 5}, "comment": 12}, "comment"),
        ({"answers": {"A0": 5}, "questionnaire": "sipas-2024-dv"}, "answers.A0"),
    ],
)
def test_bad_input_gets_400_with_field_errors(
    client: FlaskClient, token: str, body: dict[str, Any], field: str | None
) -> None:
    resp = send(client, token, body)
    if field is None:
        assert resp.status_code == 201
        return
    assert resp.status_code == 400, resp.json
    assert field in resp.json["errors"]
    assert all_responses() == []


def test_not_json_is_400(client: FlaskClient, token: str) -> None:
    resp = client.post(
        "/api/v1/responses",
        data="{oops",
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert resp.status_code == 400
    assert resp.json["error"]


def test_missing_or_revoked_token_is_401(client: FlaskClient, token: str) -> None:
    assert client.post("/api/v1/responses", json={"answers": {"A1": 5}}).status_code == 401
    counter = counter_of(token)
    org.revoke_tokens(counter)
    db.session.commit()
    assert send(client, token, {"answers": {"A1": 5}}).status_code == 401


@pytest.mark.parametrize("app_config", [{"RATELIMIT_API": "3/minute"}])
def test_rate_limit_is_429(client: FlaskClient, token: str) -> None:
    codes = [send(client, token, {"answers": {"A1": 5}}).status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    assert len(all_responses()) == 3


@pytest.mark.parametrize("app_config", [{"RATELIMIT_API": "1/minute", "RATELIMIT_ENABLED": False}])
def test_rate_limit_can_be_turned_off(client: FlaskClient, token: str) -> None:
    codes = [send(client, token, {"answers": {"A1": 5}}).status_code for _ in range(3)]
    assert codes == [201, 201, 201]


def test_openapi_document_is_valid(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").json
    validate(doc)
    schema = doc["components"]["schemas"]["ResponseIn"]
    assert "E3" in schema["properties"]["answers"]["propertyNames"]["enum"]
    assert "/api/v1/responses" in doc["paths"]


def test_healthz_checks_the_database(client: FlaskClient) -> None:
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json == {"status": "ok", "database": "ok"}


def test_healthz_reports_a_dead_database(tmp_path: Any) -> None:
    from ..conftest import make_app

    app = make_app(f"sqlite:///{tmp_path}/missing/dir/db.sqlite")
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503


def test_api_unknown_route_is_json_404(client: FlaskClient) -> None:
    resp = client.get("/api/v1/nothing")
    assert resp.status_code == 404 and resp.json["error"]
