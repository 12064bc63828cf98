"""`sipas score`: hand-computed figures, the database and file paths agreeing, the schema."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import StatsBucket
from survey_app.services import demo
from survey_app.services.analytics import scores
from survey_app.services.exchange import csvfile as exchange

from ..conftest import BuiltDatabase

SCHEMA = json.loads(
    (Path(__file__).parents[2] / "survey_app" / "schemas" / "score.schema.json").read_text(
        encoding="utf-8"
    )
)
HEADER = exchange.columns()


def write_file(path: Path, rows: list[dict[str, str]]) -> Path:
    lines = [",".join(HEADER)]
    for i, cells in enumerate(rows, start=1):
        base = {c: "" for c in HEADER}
        base.update(
            response_id=str(i),
            submitted_at="2026-03-02T03:00:00Z",
            target_group="chung",
            questionnaire="sipas-2024-dv",
            source="paper",
        )
        base.update(cells)
        lines.append(",".join(base[c] for c in HEADER))
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def hand_file(tmp_path: Path) -> Path:
    rows = [
        # U1: four respondents (below the 30 needed for a flag), general target.
        dict(unit_code="U1", A1="5", A2="4", B1="3", C1="5", Q5="1", X5="4"),
        dict(unit_code="U1", A1="4", A2="2", B1="5", Q5="2"),
        dict(unit_code="U1", A1="3", B1="4", C1="4"),
        dict(unit_code="U1", A1="5", A2="5", B1="1", C1="2", Q5="1"),
    ]
    # U2: 30 respondents, all land procedures: A1 30 × "4"; B1 18 × "5", 6 × "3", 6 missing.
    for i in range(30):
        b1 = "5" if i < 18 else ("3" if i < 24 else "")
        rows.append(dict(unit_code="U2", target_group="dat_dai_xay_dung_dau_tu", A1="4", B1=b1))
    return write_file(tmp_path / "hand.csv", rows)


def score_json(runner: FlaskCliRunner, *args: str) -> list[dict[str, Any]]:
    result = runner.invoke(args=["score", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    jsonschema.validate(data, SCHEMA)
    return data


def test_hand_computed_small_unit(runner: FlaskCliRunner, hand_file: Path) -> None:
    u1 = score_json(runner, "--input", str(hand_file), "--by", "unit")[0]
    assert u1["group"] == {"unit": "U1"} and u1["n"] == 4
    items = {code: v["index"] for code, v in u1["items"].items()}
    # A1: 5,4,3,5 → 3 of 4 are 4–5; A2: 4,2,5 → 2 of 3; B1: 3,5,4,1 → 2 of 4; C1: 5,4,2 → 2/3.
    assert items["A1"] == pytest.approx(75.0)
    assert items["A2"] == pytest.approx(200 / 3)
    assert items["B1"] == pytest.approx(50.0)
    assert items["C1"] == pytest.approx(200 / 3)
    assert u1["items"]["A3"]["index"] is None and u1["items"]["A3"]["n"] == 0  # nobody
    factors = u1["factors"]
    assert factors["A"]["index"] == pytest.approx((75 + 200 / 3) / 2)  # A3 skipped, not 0
    assert factors["B"]["index"] == pytest.approx(50.0)
    assert factors["C"]["index"] == pytest.approx(200 / 3)
    assert factors["D"]["index"] is None and factors["E"]["index"] is None
    sipas = ((75 + 200 / 3) / 2 + 50 + 200 / 3) / 3  # mean of the factors present
    assert u1["parts"]["DV"]["index"] == pytest.approx(sipas)
    assert u1["sipas"]["index"] == pytest.approx(sipas)
    assert u1["sipas"]["ci_low"] < sipas < u1["sipas"]["ci_high"]
    assert u1["integrity"]["Q5"]["rate"] == pytest.approx(100 / 3)  # 1,2,1 → one "2"
    assert u1["expectation"]["X5"]["index"] == pytest.approx(100.0)
    assert (u1["target"], u1["flag"]) == (90, "insufficient_data")


def test_hand_computed_land_only_unit(runner: FlaskCliRunner, hand_file: Path) -> None:
    u2 = score_json(runner, "--input", str(hand_file), "--by", "unit")[1]
    assert u2["n"] == 30
    assert u2["items"]["A1"]["index"] == pytest.approx(100.0)
    assert u2["items"]["B1"]["index"] == pytest.approx(75.0)  # 18 of 24 answers
    assert u2["sipas"]["index"] == pytest.approx(87.5)  # (100 + 75) / 2
    assert u2["target"] == 85  # every response concerns land procedures
    assert u2["flag"] == "meets"  # 87.5 ≥ 85 (it would be below a 90 target)


def test_target_group_rows_carry_their_own_target(runner: FlaskCliRunner, hand_file: Path) -> None:
    rows = score_json(runner, "--input", str(hand_file), "--by", "target_group")
    assert [(r["group"]["target_group"], r["target"]) for r in rows] == [
        ("chung", 90),
        ("dat_dai_xay_dung_dau_tu", 85),
    ]
    whole = score_json(runner, "--input", str(hand_file))
    assert whole[0]["group"] == {} and whole[0]["n"] == 34 and whole[0]["target"] == 90


def test_below_flags(runner: FlaskCliRunner, tmp_path: Path) -> None:
    # 40 respondents, C1: 30 × 5 and 10 × 2 → 75 % (significantly below 90);
    # 40 respondents, C1: 35 × 5 and 5 × 2 → 87.5 % (below 90, not significantly).
    rows = [dict(unit_code="LOW", C1="5" if i < 30 else "2") for i in range(40)]
    rows += [dict(unit_code="NEAR", C1="5" if i < 35 else "2") for i in range(40)]
    data = score_json(runner, "--input", str(write_file(tmp_path / "f.csv", rows)), "--by", "unit")
    flags = {r["group"]["unit"]: (r["sipas"]["index"], r["flag"]) for r in data}
    assert flags["LOW"] == (pytest.approx(75.0), "below_significant")
    assert flags["NEAR"] == (pytest.approx(87.5), "below")


def test_table_prints_indices_through_the_one_formatter(
    runner: FlaskCliRunner, hand_file: Path
) -> None:
    """One decimal and a decimal comma, as every page and the report print them."""
    result = runner.invoke(args=["score", "--input", str(hand_file), "--by", "unit"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["Đơn", "vị", "n"]
    u1 = next(line for line in lines if line.startswith("U1"))
    assert "62,5" in u1 and "62.50" not in u1 and "chưa đủ dữ liệu" in u1  # (70.83+50+66.67)/3
    u2 = next(line for line in lines if line.startswith("U2"))
    assert "87,5" in u2 and " 85 " in u2 and "đạt" in u2


def test_csv_output(runner: FlaskCliRunner, hand_file: Path) -> None:
    result = runner.invoke(
        args=["score", "--input", str(hand_file), "--by", "unit", "--format", "csv"]
    )
    header, u1, u2 = result.output.splitlines()
    assert header.startswith(
        "unit,n,n_verified,n_open,sipas,sipas_ci_low,sipas_ci_high,A,B,C,D,E,item_A1"
    )
    assert u2.startswith("U2,30,0,30,87.5,") and u2.endswith(",85,meets")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--by", "colour"], "colour"),
        (["--period", "2026-Q5"], "2026-Q5"),
        (["--period", "2026", "--from", "2026-01-01"], "--period"),
        (["--from", "2026-03-01", "--to", "2026-01-01"], "--from"),
        (["--unit", "NOPE"], "NOPE"),
    ],
)
def test_wrong_arguments_exit_2(runner: FlaskCliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(args=["score", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_malformed_file_names_line_and_column(runner: FlaskCliRunner, tmp_path: Path) -> None:
    bad = write_file(
        tmp_path / "bad.csv", [dict(unit_code="U1", A1="5"), dict(unit_code="U1", A1="9")]
    )
    result = runner.invoke(args=["score", "--input", str(bad)])
    assert result.exit_code == 2
    assert "dòng 3, cột A1" in result.output and "Traceback" not in result.output
    missing = runner.invoke(args=["score", "--input", str(tmp_path / "none.csv")])
    assert missing.exit_code == 2 and "none.csv" in missing.output


# --- the database ---------------------------------------------------------------------------


def _build_demo_db(app: Flask) -> None:
    demo.create_organisation()
    demo.generate_responses(1500, seed=11)


@pytest.fixture(scope="module")
def demo_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> BuiltDatabase:
    """The demo organisation with 1,500 responses (seed 11), built once per module and kind."""
    return BuiltDatabase(request, tmp_path_factory, _build_demo_db)


@pytest.fixture
def demo_db(
    request: pytest.FixtureRequest, db_url: str, demo_database: BuiltDatabase
) -> FlaskCliRunner:
    """A runner on a fresh copy of the demo organisation with 1,500 responses (seed 11)."""
    demo_database.copy_into(db_url)
    runner: FlaskCliRunner = request.getfixturevalue("runner")
    return runner


def _leaf(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        r["group"]["unit"]: r for r in rows if r["group"]["unit"].endswith(("TTHCC", "VPDK", ".MC"))
    }


def test_database_equals_its_exported_file(demo_db: FlaskCliRunner, tmp_path: Path) -> None:
    """Stored half-month statistics + recent answers give what the raw answers give."""
    out = tmp_path / "all.csv"
    exchange.export_file(out)
    from_db = _leaf(score_json(demo_db, "--by", "unit"))
    assert db.session.scalar(select(func.count(StatsBucket.id))) > 0  # buckets were used
    from_file = _leaf(score_json(demo_db, "--input", str(out), "--by", "unit"))
    assert from_db.keys() == from_file.keys() and len(from_db) == 4
    for unit, row in from_db.items():
        other = from_file[unit]
        assert row["n"] == other["n"]
        for level in ("sipas", "factors", "items", "integrity", "expectation"):
            assert _close(row[level], other[level]), (unit, level)


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float):
        return a == pytest.approx(b, rel=1e-12)
    return bool(a == b)


def test_parent_units_pool_their_children(demo_db: FlaskCliRunner) -> None:
    rows = {r["group"]["unit"]: r for r in score_json(demo_db, "--by", "unit")}
    assert rows["MC"]["n"] == 1500
    assert rows["MC.BH"]["n"] == rows["MC.BH.MC"]["n"]
    assert rows["MC"]["n"] == sum(
        rows[u]["n"] for u in ("MC.TTHCC", "MC.VPDK", "MC.BH.MC", "MC.AT.MC")
    )
    assert rows["MC.VPDK"]["target"] == 85 and rows["MC"]["target"] == 90


def test_buckets_follow_a_load_into_the_past(demo_db: FlaskCliRunner) -> None:
    before = score_json(demo_db)[0]["n"]
    assert db.session.scalar(select(func.count(StatsBucket.id))) > 0
    demo.generate_responses(200, seed=12)  # spread over the last 120 days
    after = score_json(demo_db)[0]["n"]
    assert after == before + 200


def test_counter_rows_stay_with_their_unit(demo_db: FlaskCliRunner) -> None:
    rows = score_json(demo_db, "--by", "counter", "--unit", "MC.TTHCC")
    assert [(r["group"]["unit"], r["group"]["counter"]) for r in rows] == [
        ("MC.TTHCC", "Q1"),
        ("MC.TTHCC", "Q2"),
        ("MC.TTHCC", "Q3"),
    ]


def test_report_quarter_matches_its_days(demo_db: FlaskCliRunner) -> None:
    today = scores.today_local()
    start, end = today - timedelta(days=60), today - timedelta(days=20)
    by_days = score_json(demo_db, "--from", start.isoformat(), "--to", end.isoformat())
    monthly = score_json(
        demo_db, "--from", start.isoformat(), "--to", end.isoformat(), "--by", "month"
    )
    assert by_days[0]["n"] == sum(r["n"] for r in monthly)
    assert all(date.fromisoformat(r["group"]["month"] + "-01") <= end for r in monthly)


def test_mean_of_children_option(demo_db: FlaskCliRunner) -> None:
    mean = {
        r["group"]["unit"]: r for r in score_json(demo_db, "--by", "unit", "--aggregate", "mean")
    }
    pooled = {r["group"]["unit"]: r for r in score_json(demo_db, "--by", "unit")}
    children = ("MC.TTHCC", "MC.VPDK", "MC.BH", "MC.AT")  # the province's direct children
    expected = sum(mean[c]["sipas"]["index"] for c in children) / 4
    assert mean["MC"]["sipas"]["index"] == pytest.approx(expected)
    assert mean["MC.BH"]["sipas"]["index"] == pytest.approx(pooled["MC.BH.MC"]["sipas"]["index"])
    assert mean["MC"]["sipas"]["index"] != pytest.approx(pooled["MC"]["sipas"]["index"])
    assert mean["MC"]["n"] == pooled["MC"]["n"] == 1500
