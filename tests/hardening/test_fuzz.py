"""Fuzzing the API from its published OpenAPI document (schemathesis, in process over WSGI):
bodies that fit the schema and bodies that break it, with a valid counter token, a fixed seed
(``derandomize``) and a bounded number of examples. No answer may be a 5xx; a body the
schema accepts is stored or refused for a reason the schema cannot state (400, 409); every
refusal is JSON with an ``error``."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation.modes import GenerationMode

from ..factories import make_counter, make_procedure, make_unit, token_of

EXAMPLES = 150  # per database; about 10 s on the 2-core machine


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"RATELIMIT_ENABLED": False}


def test_the_api_never_answers_5xx(app: Flask) -> None:
    unit = make_unit()
    make_procedure(unit)
    token = token_of(make_counter(unit))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    post = schema["/api/v1/responses"]["POST"]
    cases = st.one_of(
        post.as_strategy(GenerationMode.POSITIVE),
        post.as_strategy(GenerationMode.NEGATIVE),
        schema["/healthz"]["GET"].as_strategy(),
    )
    seen: dict[int, int] = {}

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def run(case: Any) -> None:
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        assert response.status_code < 500, (case.body, response.text[:500])
        if response.status_code >= 400:
            assert response.json()["error"]

    run()
    assert seen.get(201, 0) > 0 and seen.get(400, 0) > 0, seen  # both kinds were exercised
