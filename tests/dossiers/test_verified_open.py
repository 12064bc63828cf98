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
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import StatsBucket, Unit
from survey_app.services.analytics import filescore, halfmonths, scores
from survey_app.services.analytics.slices import RESPONSES, Slice
from survey_app.services.clock import VN_TZ
from survey_app.services.storage import bulkload, daystats
from survey_app.services.storage.buckets import half_month, half_month_end

from .. import daystats_check
from ..factories import login_as, make_counter, make_unit, seed_questionnaires
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


def test_the_office_overview_restricts_and_shows_both_counts(
    loaded: dict[str, Any], client: FlaskClient
) -> None:
    login_as(client, "office", _unit("P"))
    today = loaded["today"]
    period = f"{today - timedelta(days=44)}..{today}"
    n_verified = len(loaded["verified"])
    every = client.get("/van-phong", query_string={"ky": period}).get_data(as_text=True)
    assert f"{n_verified} / {N - n_verified}" in every  # the parent's row: verified / open
    only = client.get("/van-phong", query_string={"ky": period, "phieu": "xac_thuc"})
    html = only.get_data(as_text=True)
    assert only.status_code == 200 and f"{n_verified} / 0" in html
    assert 'value="xac_thuc" selected' in html and "phieu=xac_thuc" in html  # links keep it
    unit = client.get("/van-phong/don-vi/P.U1", query_string={"ky": period, "phieu": "mo"})
    assert unit.status_code == 200 and "xác thực 0 ·" in unit.get_data(as_text=True)
    bad = client.get("/van-phong", query_string={"ky": period, "phieu": "x"})
    assert bad.status_code == 400 and "phieu" in bad.get_data(as_text=True)


def test_the_staff_home_restricts_its_indices_and_shows_both_counts(
    loaded: dict[str, Any], client: FlaskClient
) -> None:
    login_as(client, "unit_head", _unit("P"))
    today_verified = loaded["verified"].count(loaded["today"])
    today_all = sum(1 for i in range(N) if i % 45 == 0)
    page = client.get("/nhan-vien").get_data(as_text=True)
    assert f"{today_all}, trong đó xác thực (qua lời mời của hồ sơ) {today_verified}" in page
    only = client.get("/nhan-vien", query_string={"phieu": "xac_thuc"})
    assert only.status_code == 200
    assert f"{today_verified}, trong đó xác thực" in only.get_data(as_text=True)
    assert "phieu=xac_thuc" in only.get_data(as_text=True)  # the refresh keeps it
    assert client.get("/nhan-vien", query_string={"phieu": "x"}).status_code == 400


def test_a_report_counts_the_responses_its_spec_names(loaded: dict[str, Any]) -> None:
    from survey_app.services.reports.content import build_report
    from survey_app.services.reports.spec import ReportSpec

    today = loaded["today"]
    period = f"{today - timedelta(days=44)}..{today}"
    n_verified = len(loaded["verified"])
    every = build_report(ReportSpec(period), None, None)
    only = build_report(ReportSpec(period, responses="verified"), None, None)
    (line,) = [m for m in every.methods if m.startswith("Phiếu được tính")]
    assert f"{n_verified} người trả lời qua lời mời" in line
    assert f"{N - n_verified} người trả lời mở" in line
    (line,) = [m for m in only.methods if m.startswith("Phiếu được tính")]
    assert "chỉ phiếu xác thực" in line and "0 người trả lời mở" in line
    with pytest.raises(ValueError, match="verified"):
        ReportSpec(period, responses="some").validate()


def _unit(code: str) -> Unit:
    found = db.session.scalar(select(Unit).where(Unit.code == code))
    assert found is not None
    return found
