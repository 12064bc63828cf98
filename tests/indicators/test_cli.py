"""``sipas indicators``: the fixture's figures as a table, JSON and CSV; bad input exits 2."""

from __future__ import annotations

import csv
import io
import json

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from . import fixture


def test_json_holds_every_figure(app: Flask, runner: FlaskCliRunner) -> None:
    fixture.build()
    result = runner.invoke(args=["indicators", "--period", "2025-Q4", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["start"], data["end"], data["by"]) == ("2025-10-01", "2025-12-31", "unit")
    a, b = data["groups"]
    assert a["code"] == "A" and b["code"] == "B"
    assert {k: a[k] for k in ("returned", "early", "on_time", "late", "with_complaint")} == {
        "returned": 120,
        "early": 30,
        "on_time": 78,
        "late": 12,
        "with_complaint": 5,
    }
    assert a["late_with_apology"] == 6 and a["apology_share"] == pytest.approx(50.0)
    assert a["rate_5_4"] == pytest.approx(85.8333, abs=1e-4)
    assert a["points_5_4"] == pytest.approx(5.7222, abs=1e-4)
    assert a["rate_removed"] == pytest.approx(8.5)
    assert (a["complaints"], a["complaints_on_time"]) == (3, 1)
    assert a["points_5_2"] == pytest.approx(2.0)
    assert b["rate_5_4"] == pytest.approx(86.25) and b["points_5_4"] == pytest.approx(5.75)
    assert b["rate_5_2"] is None
    whole = data["whole"]
    assert (whole["returned"], whole["late"], whole["with_complaint"]) == (200, 20, 8)
    assert whole["rate_5_4"] == pytest.approx(86.0)
    assert whole["points_5_4"] == pytest.approx(5.7333, abs=1e-4)
    assert whole["max_points_5_4"] == 6.0


def test_csv_and_table(app: Flask, runner: FlaskCliRunner) -> None:
    fixture.build()
    result = runner.invoke(
        args=["indicators", "--period", "2025-Q4", "--by", "counter", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [(r["unit"], r["code"], r["returned"], r["late"]) for r in rows] == [
        ("A", "Q1", "120", "12"),
        ("A", "", "80", "8"),
        ("", "*", "200", "20"),
    ]
    assert rows[0]["rate_5_4"] == "85.8333" and rows[2]["points_5_4"] == "5.7333"
    table = runner.invoke(args=["indicators", "--period", "2025-Q4"])
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert lines[1].startswith("A Trung tâm A") and lines[2].startswith("B Sở B")
    assert lines[1].split()[-14:-10] == ["120", "30", "78", "12"]
    assert "85.83" in lines[1] and "5.72" in lines[1] and "1/3" in lines[1]
    assert lines[3].startswith("Toàn bộ")
    assert lines[3].split()[2:6] == ["200", "40", "140", "20"]


def test_the_unit_option(app: Flask, runner: FlaskCliRunner) -> None:
    fixture.build()
    result = runner.invoke(
        args=["indicators", "--period", "2025-Q4", "--unit", "B", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert [g["code"] for g in json.loads(result.output)["groups"]] == ["B"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--period", "2025-Q5"], "--period"),
        (["--period", "soon"], "--period"),
        (["--period", "2025-Q4", "--by", "channel"], "--by"),
        (["--period", "2025-Q4", "--format", "xml"], "--format"),
        (["--period", "2025-Q4", "--unit", "NOPE"], "--unit"),
        ([], "--period"),
    ],
)
def test_bad_input_exits_2(app: Flask, runner: FlaskCliRunner, args: list[str], words: str) -> None:
    result = runner.invoke(args=["indicators", *args])
    assert result.exit_code == 2
    assert words in result.output
    assert "Traceback" not in result.output
