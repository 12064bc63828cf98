"""The response file's last column ``verified`` (issue 13 §4): ``1`` for a verified
response, empty for an open one, never a dossier code; files with or without it import,
and an imported row is open (it has no dossier)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Response
from survey_app.services.clock import VN_TZ
from survey_app.services.exchange import csvfile
from survey_app.services.exchange.importer import import_file
from survey_app.services.storage import bulkload

from ..factories import make_counter, make_unit, seed_questionnaires
from .helpers import CODE, make_dossier, verify


@pytest.fixture
def two(app: Flask) -> dict[str, Any]:
    seed_questionnaires()
    unit = make_unit("U1")
    counter = make_counter(unit)
    day = datetime.now(VN_TZ).date() - timedelta(days=3)
    rows = [
        {
            "questionnaire_id": "sipas-2024-dv",
            "unit_id": unit.id,
            "counter_id": counter.id,
            "procedure_id": None,
            "target_group": "chung",
            "channel": "truc_tiep",
            "submitted_at": datetime(day.year, day.month, day.day, 3, i, tzinfo=UTC),
            "local_day": day,
            "answers": {"A1": 4, "C1": 5},
            "comment": "Tốt" if i else None,
            "source": "qr",
            "idempotency_key": None,
            "receipt_hash": None,
        }
        for i in range(2)
    ]
    bulkload.insert_responses(rows)
    db.session.commit()
    first, second = db.session.scalars(select(Response).order_by(Response.id))
    verify(first, make_dossier(unit))
    return {"verified": first.id, "open": second.id}


def _export(runner: FlaskCliRunner, path: Path) -> list[dict[str, str]]:
    result = runner.invoke(args=["export", "--out", str(path)])
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(path.read_bytes().decode("utf-8-sig").splitlines()))


def test_export_ends_with_verified_and_never_a_dossier_code(
    two: dict[str, Any], runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "out.csv"
    rows = _export(runner, path)
    assert list(rows[0])[-2:] == ["comment", "verified"]
    flags = {int(r["response_id"]): r["verified"] for r in rows}
    assert flags == {two["verified"]: "1", two["open"]: ""}
    assert CODE not in path.read_text(encoding="utf-8-sig")
    assert "0975" not in path.read_text(encoding="utf-8-sig")


@pytest.mark.parametrize("with_column", [True, False])
def test_import_reads_files_with_or_without_verified_and_stores_open_rows(
    two: dict[str, Any], runner: FlaskCliRunner, tmp_path: Path, with_column: bool
) -> None:
    rows = _export(runner, tmp_path / "out.csv")
    header = csvfile.columns() if with_column else csvfile.columns()[:-1]
    path = tmp_path / "in.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        for row in rows:  # new responses (no id), both marked as verified in the file
            writer.writerow({**row, "response_id": "", "verified": "1", "source": "paper"})
    result = import_file(path, source="paper")
    db.session.commit()
    assert result.added == 2
    stored = db.session.scalars(select(Response).order_by(Response.id)).all()
    assert [r.verified for r in stored] == [True, False, False, False]


def test_template_has_no_verified_column(two: dict[str, Any], client: Any) -> None:
    from survey_app.services.exchange import template

    assert "verified" not in template._entered()
    assert template._entered() == csvfile.columns()[:-1]
