"""The sipas command-line tool."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

import forms
from survey_app.commands import register_commands
from survey_app.extensions import db
from survey_app.models import Counter, Procedure, Response, Unit
from survey_app.services.exchange import csvfile as exchange

from .. import daystats_check
from ..conftest import BuiltDatabase
from ..factories import all_responses


def _build_demo(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["demo", "--responses", "600", "--seed", "7"])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def demo_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> BuiltDatabase:
    """``sipas demo --responses 600 --seed 7`` run once per module and database kind."""
    return BuiltDatabase(request, tmp_path_factory, _build_demo)


@pytest.fixture
def demo(
    request: pytest.FixtureRequest, db_url: str, demo_database: BuiltDatabase
) -> FlaskCliRunner:
    """A runner on a fresh copy of the demo province (600 responses, seed 7)."""
    demo_database.copy_into(db_url)
    runner: FlaskCliRunner = request.getfixturevalue("runner")
    return runner


def test_demo_builds_a_province(demo: FlaskCliRunner) -> None:
    assert db.session.scalar(select(func.count(Response.id))) == 600
    units = list(db.session.scalars(select(Unit)))
    with_counters = {c.unit_id for c in db.session.scalars(select(Counter))}
    assert len(with_counters) >= 3
    assert db.session.scalar(select(func.count(Counter.id))) >= 8
    fields = {p.field for p in db.session.scalars(select(Procedure))}
    assert {"Đất đai", "Xây dựng", "Đầu tư tại Việt Nam"} <= fields
    assert any(u.parent is not None and u.parent.parent is not None for u in units)  # depth 3


def test_demo_varies_between_units(demo: FlaskCliRunner) -> None:
    rates: dict[int, float] = {}
    for (unit_id,) in db.session.execute(select(Response.unit_id).distinct()):
        rows = db.session.scalars(select(Response.answers).where(Response.unit_id == unit_id))
        values = [v for a in rows for k, v in a.items() if k[0] in "ABCDE"]
        rates[unit_id] = sum(v >= 4 for v in values) / len(values)
    assert max(rates.values()) - min(rates.values()) > 0.08


def test_demo_is_reproducible_and_not_repeated(demo: FlaskCliRunner) -> None:
    again = demo.invoke(args=["demo", "--responses", "600"])
    assert again.exit_code == 0 and "Tổ chức mẫu đã có" in again.output
    assert db.session.scalar(select(func.count(Response.id))) == 600


def test_demo_day_statistics_equal_a_recount(demo: FlaskCliRunner) -> None:
    from survey_app.services.storage import daystats

    days = daystats_check.assert_stored_days_match_the_responses()
    closed = {r.local_day for r in all_responses() if daystats.closed(r.local_day)}
    assert closed and closed <= days  # the demo's load stored every closed day


def test_links_json(demo: FlaskCliRunner) -> None:
    result = demo.invoke(args=["links", "--format", "json", "--unit", "MC.VPDK"])
    assert result.exit_code == 0
    links = json.loads(result.output)
    assert [x["counter"] for x in links] == ["Q1", "Q2"]
    assert all(
        x["unit"] == "MC.VPDK" and x["url"].startswith("https://sipas.test/f/") for x in links
    )


def test_links_unknown_unit_exits_2(demo: FlaskCliRunner) -> None:
    result = demo.invoke(args=["links", "--unit", "NOPE"])
    assert result.exit_code == 2
    assert "NOPE" in result.output and "Traceback" not in result.output


def test_qr_writes_a_card_per_counter(demo: FlaskCliRunner, tmp_path: Path) -> None:
    result = demo.invoke(args=["qr", "--unit", "MC.TTHCC", "--out", str(tmp_path / "cards")])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "cards").iterdir())
    assert names == [f"MC.TTHCC_Q{i}.{ext}" for i in (1, 2, 3) for ext in ("pdf", "svg")]


def test_export_round_trips_every_answer(demo: FlaskCliRunner, tmp_path: Path) -> None:
    out = tmp_path / "export.csv"
    result = demo.invoke(args=["export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert list(rows[0])[:9] == list(exchange.META_COLUMNS)
    assert list(rows[0])[-2:] == ["comment", "verified"]  # issue 13 adds verified last
    assert set(forms.all_item_codes()) <= set(rows[0])
    by_id = {int(r["response_id"]): r for r in rows}
    stored = all_responses()
    assert len(by_id) == len(stored) == 600
    for resp in stored:
        row = by_id[resp.id]
        got = {code: int(row[code]) for code in forms.all_item_codes() if row[code]}
        assert got == resp.answers
        assert row["unit_code"] == resp.unit.code
        assert row["questionnaire"] == resp.questionnaire_id
        assert row["submitted_at"].endswith("Z")
        assert row["comment"] == (resp.comment or "")
        assert row["verified"] == ("1" if resp.verified else "")


def test_export_filters_by_local_day_and_unit(demo: FlaskCliRunner, tmp_path: Path) -> None:
    days = sorted({r.local_day for r in all_responses()})
    first, last = days[10], days[20]
    out = tmp_path / "x.csv"
    result = demo.invoke(
        args=[
            "export",
            "--from",
            first.isoformat(),
            "--to",
            last.isoformat(),
            "--unit",
            "MC.BH",
            "--out",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    expected = [
        r for r in all_responses() if first <= r.local_day <= last and r.unit.code == "MC.BH.MC"
    ]
    assert sorted(int(r["response_id"]) for r in rows) == [r.id for r in expected]
    assert expected


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--from", "2026-13-01", "--out", "x.csv"],
        ["export", "--from", "2026-02-01", "--to", "2026-01-01", "--out", "x.csv"],
        ["export", "--unit", "NOPE", "--out", "x.csv"],
        ["demo", "--responses", "-1"],
        ["serve", "--port", "0"],
    ],
)
def test_bad_arguments_exit_2_with_a_message(runner: FlaskCliRunner, args: list[str]) -> None:
    result = runner.invoke(args=args)
    assert result.exit_code == 2, result.output
    assert "Error" in result.output and "Traceback" not in result.output


def test_every_command_is_documented_in_help_and_readme(app: Flask) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    for name, command in app.cli.commands.items():
        assert command.help, name
        assert f"sipas {name}" in readme, f"sipas {name} is not documented in README.md"
    assert register_commands is not None


def test_uninitialised_database_gets_a_clear_message(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from survey_app.cli import main

    env = {
        "SIPAS_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite'}",
        "SIPAS_SECRET_KEY": "s",
        "SIPAS_HASH_KEY": "h",
    }
    result = CliRunner().invoke(main, ["links"], env=env)
    assert result.exit_code == 2
    assert "sipas init" in result.output and "Traceback" not in result.output
