"""Fuzzing the API from its published OpenAPI document (schemathesis, in process over WSGI):
bodies (and headers) that fit the schema and ones that break it, with a valid counter token,
a fixed seed (``derandomize``) and a bounded number of examples.

No answer may be a 5xx, and every refusal is JSON with an ``error``. A body the published
schema accepts is stored (201/200), or refused only for what no schema can say: an item of
another questionnaire version than the one used, a procedure the unit does not offer, a
receipt already used (409)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from schemathesis.generation.modes import GenerationMode

import forms

from ..factories import make_counter, make_procedure, make_unit, token_of

EXAMPLES = 60  # per database: about 10 s each on the shared 2-core machine


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"RATELIMIT_ENABLED": False}


def _outside_the_schema(body: dict[str, Any], errors: dict[str, str]) -> bool:
    """Whether every field the server refused is one that no schema can judge."""
    used = forms.get(body.get("questionnaire") or forms.DEFAULT_VERSION)
    codes = {item.code for item in used.items}
    return all(
        key == "procedure" or (key.startswith("answers.") and key[8:] not in codes)
        for key in errors
    )


def test_the_api_never_answers_5xx(app: Flask) -> None:
    unit = make_unit()  # its questionnaire is forms.DEFAULT_VERSION
    make_procedure(unit)
    token = token_of(make_counter(unit))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    published = Draft202012Validator(schema.raw_schema["components"]["schemas"]["ResponseIn"])
    post = schema["/api/v1/responses"]["POST"]
    cases = st.one_of(
        post.as_strategy(GenerationMode.POSITIVE),
        post.as_strategy(GenerationMode.NEGATIVE),
        schema["/healthz"]["GET"].as_strategy(),
    )
    seen: dict[str, int] = {}

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,  # a fixed seed: the same examples on every run
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def run(case: Any) -> None:
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        status = response.status_code
        assert status < 500, (case.body, response.text[:500])
        if status >= 400:
            assert response.json()["error"]
        body = case.body if case.path == "/api/v1/responses" else None
        positive = case.meta is None or case.meta.generation.mode == GenerationMode.POSITIVE
        if positive and isinstance(body, dict) and published.is_valid(body):
            kind = "valid"
            assert status in (200, 201, 409) or (
                status == 400 and _outside_the_schema(body, response.json().get("errors", {}))
            ), (body, response.text[:500])
        else:
            kind = "invalid"
        seen[f"{kind} {status}"] = seen.get(f"{kind} {status}", 0) + 1

    run()
    assert any(k.startswith("valid") for k in seen) and "invalid 400" in seen, seen
