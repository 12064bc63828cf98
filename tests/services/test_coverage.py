"""Coverage per group (issue 14 part 1): the counts behind it, ``sipas score`` JSON, the
setting, and the cache following the data (the figures: tests/coverage_data.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from scoring import Cutoff
from survey_app.config import DEFAULTS, ConfigurationError, check_settings
from survey_app.extensions import db
from survey_app.services.analytics import coverage
from survey_app.services.analytics.slices import Slice

from .. import coverage_data
from ..coverage_data import DAY, PERIOD, WILSON

SCHEMA = json.loads(
    (Path(__file__).parents[2] / "survey_app" / "schemas" / "score.schema.json").read_text(
        encoding="utf-8"
    )
)


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    coverage.clear_cache()
    return coverage_data.build()


def _score(runner: FlaskCliRunner, *args: str) -> list[dict[str, Any]]:
    result = runner.invoke(args=["score", "--period", PERIOD, "--format", "json", *args])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    jsonschema.validate(data, SCHEMA)
    return data


def _rounded(c: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in c.items()}


def _expected(
    served: int, invited: int, verified: int, open_: int, representative: bool
) -> dict[str, Any]:
    low, high = WILSON[(verified, served)]
    return {
        "served": served,
        "invited": invited,
        "verified": verified,
        "open": open_,
        "rate": round(100 * verified / served, 2),
        "rate_ci_low": low,
        "rate_ci_high": high,
        "representative": representative,
    }


def test_score_json_has_each_units_coverage(world: dict[str, Any], runner: FlaskCliRunner) -> None:
    data = {g["group"]["unit"]: g for g in _score(runner, "--by", "unit")}
    assert _rounded(data["A"]["coverage"]) == _expected(400, 380, 40, 17, True)
    assert _rounded(data["B"]["coverage"]) == _expected(1000, 500, 30, 20, False)
    # P pools its subtree: the dossiers of A and B
    assert _rounded(data["P"]["coverage"]) == _expected(1400, 880, 70, 37, True)


def test_score_json_by_counter_is_null_without_dossiers(
    world: dict[str, Any], runner: FlaskCliRunner
) -> None:
    data = {
        (g["group"]["unit"], g["group"]["counter"]): g["coverage"]
        for g in _score(runner, "--by", "counter")
    }
    assert _rounded(data[("A", "Q1")]) == _expected(400, 380, 40, 12, True)
    assert data[("A", "Q2")] is None  # five open responses, no dossier


def test_score_json_whole_and_by_period(world: dict[str, Any], runner: FlaskCliRunner) -> None:
    (whole,) = _score(runner)
    assert _rounded(whole["coverage"]) == _expected(1400, 880, 70, 37, True)
    months = {g["group"]["month"]: g["coverage"] for g in _score(runner, "--by", "month")}
    assert months["2026-08"]["served"] == 1400
    # the 15th–14th reporting period: 2026-08-10 falls in the period that ends on 2026-08-14
    by_report = _score(runner, "--by", "month", "--cutoff", "report")
    assert [g["coverage"]["served"] for g in by_report] == [1400]


def test_a_grouping_dossiers_do_not_have_gives_null(
    world: dict[str, Any], runner: FlaskCliRunner
) -> None:
    assert all(g["coverage"] is None for g in _score(runner, "--by", "target_group"))


def test_the_minimum_rate_is_a_setting(world: dict[str, Any], app: Flask) -> None:
    query = Slice(start=DAY, end=DAY, by=("unit",), cutoff=Cutoff.CALENDAR)
    found = coverage.counts(query)
    assert found is not None
    b = found[("B",)]
    assert coverage.coverage_for(b, 0, 30).representative is False  # type: ignore[union-attr]
    app.config["COVERAGE_MIN_RATE"] = 2.0
    assert coverage.coverage_for(b, 0, 30).representative is True  # type: ignore[union-attr]
    # … and n under the minimum (here 31 > 30 verified) is not representative either
    assert coverage.coverage_for(b, 0, 31).representative is False  # type: ignore[union-attr]


def test_the_setting_is_checked_at_start_up() -> None:
    with pytest.raises(ConfigurationError, match="SIPAS_COVERAGE_MIN_RATE"):
        check_settings({**DEFAULTS, "COVERAGE_MIN_RATE": "abc"})
    settings = {**DEFAULTS, "COVERAGE_MIN_RATE": "2.5"}
    check_settings(settings)
    assert settings["COVERAGE_MIN_RATE"] == 2.5


def test_cached_counts_follow_the_data(world: dict[str, Any]) -> None:
    from survey_app.models import Response

    query = Slice(start=DAY, end=DAY, by=("unit",), cutoff=Cutoff.CALENDAR, aggregate="own")
    before = coverage.counts(query)
    assert before is not None and before[("B",)] == coverage.Counts(1000, 500, 30)
    # an open response of B becomes verified (the kiosk's typed dossier code): answered + 1
    free = db.session.get(Response, 1)  # any response; give it an unanswered dossier of B
    assert free is not None
    free.dossier_id = 1999
    db.session.commit()
    after = coverage.counts(query)
    assert after is not None
    assert after[("B",)].answered == 31
    # a dossier changed by a re-import (returned later: out of the day) leaves B's count
    from survey_app.models import Dossier

    moved = db.session.get(Dossier, 1500)
    assert moved is not None
    moved.returned_day = DAY.replace(day=20)
    moved.changed_at = datetime.now(UTC)
    db.session.commit()
    again = coverage.counts(query)
    assert again is not None and again[("B",)].served == 999
