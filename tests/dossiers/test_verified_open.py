"""Verified and open responses side by side (issue 13 §5): day blocks carry the verified
flag (older blocks read as all open), the stored half-months count verified respondents and
break down by it, and every slice can be restricted to either and shows both counts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from typing import Any

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import StatsBucket
from survey_app.services.analytics import filescore, halfmonths, scores
from survey_app.services.analytics.slices import RESPONSES, Slice
from survey_app.services.clock import VN_TZ
from survey_app.services.storage import bulkload, daystats
from survey_app.services.storage.buckets import half_month, half_month_end

from .. import daystats_check
from ..factories import make_counter, make_unit, seed_questionnaires
from .helpers import make_dossier

N = 400


@pytest.fixture
def loaded(app: Flask) -> dict[str, Any]:
    """400 responses over today and the 44 days before, every third one verified."""
    seed_questionnaires()
    parent = make_unit("P", "Tỉnh Thử")
    units = [make_unit("P.U1", parent=parent), make_unit("P.U2", "Xã Hai", parent=parent)]
    counters = [make_counter(u) for u in units]
    today = datetime.now(VN_TZ).date()
    rows, verified = [], []
    for i in range(N):
        unit = units[i % 2]
        day = today - timedelta(days=i % 45)
        dossier_id = None
        if i % 3 == 0:
            dossier_id = make_dossier(unit, f"H15.50.05.13-261008-{i:04d}").id
            verified.append(day)
        rows.append(
            {
                "questionnaire_id": "sipas-2024-dv",
                "unit_id": unit.id,
                "counter_id": counters[i % 2].id,
                "procedure_id": None,
                "target_group": "chung",
                "channel": ["truc_tiep", "truc_tuyen_toan_trinh", None][i % 3 if i % 5 else 1],
                "submitted_at": datetime.combine(day, time(9, i % 60), VN_TZ).astimezone(UTC),
                "local_day": day,
                # verified answers lower, so a restriction moves the index
                "answers": {"A1": 2 if dossier_id else 5, "C1": 1 + i % 5, "Q5": 1 + i % 3},
                "comment": None,
                "source": "qr",
                "idempotency_key": None,
                "receipt_hash": None,
                "dossier_id": dossier_id,
            }
        )
    db.session.commit()
    bulkload.insert_responses(rows)
    db.session.commit()
    return {"today": today, "verified": verified}


def _from_answers(query: Slice) -> list[dict[str, Any]]:
    rows = scores._raw_rows([(query.start, query.end)], None)
    return filescore.score_rows(rows, query)


@pytest.mark.parametrize("by", [(), ("unit",), ("channel",), ("month",), ("counter", "day")])
@pytest.mark.parametrize("responses", ["all", "verified", "open"])
def test_a_restricted_slice_scores_like_its_answers(
    loaded: dict[str, Any], by: tuple[str, ...], responses: str
) -> None:
    today = loaded["today"]
    query = Slice(
        start=today - timedelta(days=44),
        end=today,
        by=by,
        where=RESPONSES[responses],
        aggregate="own",  # a file has no unit tree
    )
    stored = scores.score_database(query)
    assert stored == _from_answers(query)  # stored blocks, half-months and the open day
    n_verified = len(loaded["verified"])
    expected = {"all": N, "verified": n_verified, "open": N - n_verified}[responses]
    assert sum(g["n"] for g in stored) == expected
    assert all(g["n"] == g["n_verified"] + g["n_open"] for g in stored)
    assert sum(g["n_verified"] for g in stored) == (0 if responses == "open" else n_verified)


def test_both_counts_come_from_the_stored_half_months(loaded: dict[str, Any]) -> None:
    today = loaded["today"]
    start = half_month(today - timedelta(days=40))
    end = half_month_end(start)
    query = Slice(start=start, end=end, by=("unit",))
    (parent, *_units) = scores.score_stored(query)
    markers = select(func.count()).where(StatsBucket.unit_id == 0)
    assert db.session.scalar(markers) >= 1  # read from a stored half-month
    in_range = [d for d in loaded["verified"] if start <= d <= end]
    assert parent.n_verified == len(in_range) > 0
    cells = db.session.scalar(
        select(func.sum(StatsBucket.n_verified)).where(
            StatsBucket.period_start == start, StatsBucket.dimension == ""
        )
    )
    assert cells == len(in_range)
    # restricted: the "verified" breakdown, open and verified cells separate
    (verified,) = scores.score_stored(Slice(start=start, end=end, where=RESPONSES["verified"]))
    (opened,) = scores.score_stored(Slice(start=start, end=end, where=RESPONSES["open"]))
    assert (verified.n, verified.n_open, opened.n_verified) == (len(in_range), 0, 0)
    assert verified.items["A1"].index == 0.0 and opened.items["A1"].index == 100.0
    assert db.session.scalar(
        select(func.count()).where(
            StatsBucket.dimension == "verified", StatsBucket.period_start == start
        )
    )


def test_blocks_pack_the_flag_and_match_the_responses(loaded: dict[str, Any]) -> None:
    today = loaded["today"]
    daystats.ensure(today - timedelta(days=44), today)
    block = daystats.read(today - timedelta(days=44), today, None)
    assert int(block.verified.sum()) == sum(1 for d in loaded["verified"] if d < today)
    assert daystats_check.assert_stored_days_match_the_responses()
    today_block = daystats.open_block(today, None)
    assert int(today_block.verified.sum()) == loaded["verified"].count(today)


def test_a_block_packed_before_the_flag_reads_as_all_open(loaded: dict[str, Any]) -> None:
    today = loaded["today"]
    block = daystats.read(today - timedelta(days=44), today - timedelta(days=1), None)
    ((day, unit, n, layout, data),) = daystats.pack(block.take(np.arange(3)))[:1]
    parsed = json.loads(layout)
    assert parsed.pop("verified") == 1
    new = np.frombuffer(data, dtype=daystats._record(len(parsed["codes"])))
    old = np.empty(new.shape[0], dtype=daystats._record(len(parsed["codes"]), verified=False))
    for name in old.dtype.names or ():
        old[name] = new[name]
    legacy = daystats.unpack([(day, unit, n, json.dumps(parsed), old.tobytes())])
    current = daystats.unpack([(day, unit, n, layout, data)])
    assert legacy.n == current.n == n
    assert not legacy.verified.any()
    assert (legacy.answers == current.answers).all()
    assert (legacy.counter_id == current.counter_id).all()


def test_score_command_restricts_and_counts(loaded: dict[str, Any], runner: FlaskCliRunner) -> None:
    args = ["score", "--from", str(loaded["today"] - timedelta(days=44)), "--format", "json"]
    every = json.loads(runner.invoke(args=args).output)
    verified = json.loads(runner.invoke(args=[*args, "--responses", "verified"]).output)
    opened = json.loads(runner.invoke(args=[*args, "--responses", "open"]).output)
    n_verified = len(loaded["verified"])
    assert (every[0]["n"], every[0]["n_verified"], every[0]["n_open"]) == (
        N,
        n_verified,
        N - n_verified,
    )
    assert (verified[0]["n"], verified[0]["n_open"]) == (n_verified, 0)
    assert (opened[0]["n"], opened[0]["n_verified"]) == (N - n_verified, 0)
    table = runner.invoke(args=["score", "--responses", "verified"]).output
    assert "xác thực" in table
    wrong = runner.invoke(args=["score", "--responses", "some"])
    assert wrong.exit_code == 2 and "some" in wrong.output


def test_warm_stores_the_verified_breakdown(loaded: dict[str, Any]) -> None:
    done = halfmonths.warm()
    assert "verified" in done.dimensions
