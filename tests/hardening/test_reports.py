"""Defect 1, the other half: reports survive text stored before the input rule.

Comments holding control characters (``\\x01``, ``\\x0b``, NUL on SQLite — PostgreSQL cannot
hold NUL) are written straight into the database, as an older version or another program
could have left them; the XLSX, the zip pack (web job) and ``sipas report`` still build, and
the workbook shows the comment under the input rule.
"""

from __future__ import annotations

import zipfile
from io import BytesIO
from pathlib import Path

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Response
from survey_app.services.reports import ReportSpec, build, write_pack

from ..reports import golden

CONTROLS = "\x01\x0b\x1f\u202e"


@pytest.fixture
def dirty(app: Flask) -> str:
    """The golden dataset, with every comment spoiled by control characters."""
    golden.build()
    bad = CONTROLS + ("\x00" if db.engine.dialect.name == "sqlite" else "")
    rows = db.session.scalars(select(Response).where(Response.comment.is_not(None))).all()
    assert rows
    for row in rows:
        row.comment = f"Hỏng{bad} ký tự: {row.comment}"
    db.session.commit()
    return bad


def _comments(workbook: bytes) -> list[str]:
    book = openpyxl.load_workbook(BytesIO(workbook))
    return [
        str(cell.value)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and cell.value.startswith("Hỏng")
    ]


def test_pack_builds_with_control_characters_in_stored_comments(dirty: str, tmp_path: Path) -> None:
    report = build(ReportSpec("2026-Q1"))
    names = {"xlsx": "a.xlsx", "pdf": "a.pdf", "zip": "a.zip"}
    done = write_pack(report, tmp_path, names)
    shown = _comments(done["xlsx"].read_bytes())
    assert shown and all("ký tự: " in c for c in shown)
    assert not any(set(c) & set(dirty) for c in shown)  # the input rule, applied on output
    with zipfile.ZipFile(done["zip"]) as archive:
        assert archive.read("bao-cao.xlsx") == done["xlsx"].read_bytes()


def test_sipas_report_builds_with_control_characters_in_stored_comments(
    dirty: str, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "quy1.zip"
    result = runner.invoke(args=["report", "--period", "2026-Q1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        assert _comments(archive.read("bao-cao.xlsx"))
