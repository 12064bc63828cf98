"""Inspector triage: units (each serving unit once) and counters ranked by the lower bound of
their integrity rates' intervals or by their change; a flag only where a rate rose
significantly or its lower bound reaches the threshold (INTEGRITY_FLAG_PERCENT), not on
every unit with a single answer 2–3."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

import forms
from scoring import Estimate
from survey_app.config import ConfigurationError, check_settings
from survey_app.models import Counter, Unit
from survey_app.services import org
from survey_app.services.analytics import integrity
from survey_app.services.analytics.office import parse_filters
from survey_app.services.ingest import responses

from ..factories import login_as, make_counter, make_unit, make_user, token_of

MARCH = datetime(2026, 3, 10, 3, tzinfo=UTC)
FEBRUARY = datetime(2026, 2, 10, 3, tzinfo=UTC)


def _answers(counter: Counter, n: int, bad: int, when: datetime = MARCH) -> None:
    """``n`` responses, ``bad`` of them answering Q5 with 3 (the rest 1)."""
    info = org.counter_by_token(token_of(counter))
    assert info is not None
    for i in range(n):
        sub = responses.Submission(
            answers={"C1": 4, "Q5": 3 if i < bad else 1, "Q6": 1}, comment=None, submitted_at=when
        )
        responses.submit(info, forms.get(info.questionnaire_id), sub)


@pytest.fixture
def world(app: Flask) -> dict[str, Unit]:
    """P → ONE (1 of 40 answered Q5 2–3: today's "có phản ánh" flag, no evidence);
    P → MANY (12 of 40: lower bound 17 %, above 5 %); P → W (ward) → DESK (6 of 40, and
    0 of 40 in February: a significant rise).  One counter each."""
    p = make_unit("P", "Tỉnh thử")
    one, many = (
        make_unit("ONE", "Trung tâm Một", parent=p),
        make_unit("MANY", "Trung tâm Nhiều", parent=p),
    )
    w = make_unit("W", "Phường Bến", parent=p)
    desk = make_unit("DESK", "Bộ phận Một cửa phường Bến", parent=w)
    _answers(make_counter(one), 40, 1)
    _answers(make_counter(many), 40, 12)
    desk_counter = make_counter(desk)
    _answers(desk_counter, 40, 6)
    _answers(desk_counter, 40, 0, FEBRUARY)
    return {"P": p, "ONE": one, "MANY": many, "W": w, "DESK": desk}


def test_flags_only_what_is_significant_or_above_the_threshold() -> None:
    one_in_forty = Estimate(40, 2.5, 0.44, 12.88, None)
    assert integrity.signal("Q5", one_in_forty, None, 5.0).flag == "some"  # no flag
    assert integrity.signal("Q5", one_in_forty, None, 0.0).flag == "above"  # threshold 0: any
    many = Estimate(40, 30.0, 18.07, 45.43, None)
    assert integrity.signal("Q5", many, None, 5.0).flag == "above"
    assert integrity.signal("Q5", many, None, 20.0).flag == "some"


def test_triage_ranks_serving_units_once_by_lower_bound(world: dict[str, Unit]) -> None:
    inspector = make_user("thanh.tra", "inspector", world["P"])
    filters = parse_filters({"ky": "2026-03"})
    lines = integrity.serving_lines(inspector, filters, 5.0)
    assert sorted(line.code for line in lines) == ["DESK", "MANY", "ONE"]  # not W, not P
    ranked = integrity.triage(lines, "can_duoi")
    assert [(k, line.code, line.flag) for k, line in ranked] == [
        (1, "MANY", "above"),
        (2, "DESK", "rising"),
        (3, "ONE", "some"),
    ]
    by_change = integrity.triage(lines, "thay_doi")
    assert [line.code for _k, line in by_change][:2] == ["DESK", "MANY"]


def test_triage_ranks_counters(world: dict[str, Unit]) -> None:
    inspector = make_user("thanh.tra", "inspector", world["P"])
    filters = parse_filters({"ky": "2026-03"})
    ranked = integrity.triage(integrity.scope_counter_lines(inspector, filters, 5.0))
    assert [(line.unit_code, line.code) for _k, line in ranked] == [
        ("MANY", "Q1"),
        ("DESK", "Q1"),
        ("ONE", "Q1"),
    ]


def test_the_threshold_is_a_setting(
    world: dict[str, Unit], app: Flask, client: FlaskClient
) -> None:
    login_as(client, "inspector", world["P"])
    html = client.get("/thanh-tra?ky=2026-03").get_data(as_text=True)
    assert re.search(r"2/3 được gắn cờ", html)
    app.config["INTEGRITY_FLAG_PERCENT"] = 0.0
    html = client.get("/thanh-tra?ky=2026-03").get_data(as_text=True)
    assert re.search(r"3/3 được gắn cờ", html)  # a single answer 2–3 is enough at 0 %


def test_triage_page_choices(world: dict[str, Unit], client: FlaskClient) -> None:
    login_as(client, "inspector", world["P"])
    html = client.get("/thanh-tra?ky=2026-03&muc=quay&xep=thay_doi").get_data(as_text=True)
    triage = html[html.index('id="h-triage"') : html.index('id="h-units"')]
    assert re.findall(r'data-counter="([^"]+)"', triage)[:1] == ["DESK/Q1"]
    assert client.get("/thanh-tra?ky=2026-03&muc=x").status_code == 400
    assert client.get("/thanh-tra?ky=2026-03&xep=x").status_code == 400


def test_a_bad_threshold_stops_the_start(app: Flask) -> None:
    with pytest.raises(ConfigurationError, match="SIPAS_INTEGRITY_FLAG_PERCENT"):
        check_settings(
            {
                "INTEGRITY_FLAG_PERCENT": "nhiều",
                "COMPLAINT_DUE_DAYS": 7,
                "SQLITE_BUSY_TIMEOUT_MS": 1,
            }
        )
