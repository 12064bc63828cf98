"""``sipas keys`` and ``sipas dossiers``: a key printed once and revoked; a dossier file
imported (CSV and XLSX), a dry run, a bad file listed on standard error with exit 2, in
Vietnamese or English by the locale."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from flask_babel import refresh
from openpyxl import load_workbook
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import AuditEntry, Dossier, IntegrationKey, Unit
from survey_app.services.dossiers import keys
from survey_app.services.dossiers.ingest import FIELDS

from .helpers import dossier, tree


@pytest.fixture
def units(app: Flask) -> dict[str, Unit]:
    return tree()


def write_csv(path: Path, rows: list[dict[str, Any]], bom: bool = True, sep: str = ",") -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(FIELDS), delimiter=sep)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return path


def count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Dossier)) or 0)


def test_keys_add_list_revoke(runner: FlaskCliRunner, units: dict[str, Unit]) -> None:
    made = runner.invoke(args=["keys", "add", "iGate tỉnh", "--unit", "P"])
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip()
    assert secret.startswith("sipk_") and "không hiển thị lại" in made.stderr
    key = db.session.scalars(select(IntegrationKey)).one()
    assert secret not in (key.key_hash, key.prefix) and keys.authenticate(secret) is not None
    listed = runner.invoke(args=["keys", "list"])
    assert "iGate tỉnh\tP\t" + secret[:12] in listed.output and secret not in listed.output
    assert runner.invoke(args=["keys", "revoke", "iGate tỉnh"]).exit_code == 0
    assert keys.authenticate(secret) is None
    actions = [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["key.add", "key.revoke"]


def test_keys_refusals_exit_2(runner: FlaskCliRunner, units: dict[str, Unit]) -> None:
    assert runner.invoke(args=["keys", "add", "k", "--unit", "NOPE"]).exit_code == 2
    assert runner.invoke(args=["keys", "add", "k", "--unit", "P"]).exit_code == 0
    taken = runner.invoke(args=["keys", "add", "k", "--unit", "P"])
    assert taken.exit_code == 2 and "Đã có khoá tên này" in taken.output
    assert runner.invoke(args=["keys", "revoke", "other"]).exit_code == 2


def test_import_dry_run_then_import_then_again(
    runner: FlaskCliRunner, units: dict[str, Unit], tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "hs.csv", [dossier(1), dossier(2)])
    dry = runner.invoke(args=["dossiers", "import", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "sẽ thêm 2" in dry.output and count() == 0
    done = runner.invoke(args=["dossiers", "import", str(path)])
    assert done.exit_code == 0 and "thêm 2, cập nhật 0, giữ nguyên 0" in done.output
    write_csv(path, [dossier(1), dossier(2, supplements=1)], bom=False, sep=";")
    again = runner.invoke(args=["dossiers", "import", str(path)])
    assert "thêm 0, cập nhật 1, giữ nguyên 1" in again.output, again.output
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None and entry.action == "dossiers.import"
    assert entry.after == {"created": 0, "updated": 1, "unchanged": 1, "by": "command_line"}


def test_bad_file_exits_2_listing_each_row(
    runner: FlaskCliRunner, units: dict[str, Unit], tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "bad.csv", [dossier(1), dossier(2, due_date="x"), dossier(3, outcome="")]
    )
    result = runner.invoke(args=["dossiers", "import", str(path)])
    assert result.exit_code == 2
    assert "có 2 lỗi, không nhập hồ sơ nào" in result.stderr
    assert "dòng 3, cột due_date:" in result.stderr and "dòng 4, cột outcome:" in result.stderr
    assert result.stdout == "" and count() == 0


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"code,procedure_code\n", "thiếu cột bắt buộc"),
        (b"code;x\n", "cột không có trong định dạng tệp hồ sơ"),
        (b"code,h\xf4\n", "UTF-8"),
        (b"", "tệp trống"),
    ],
)
def test_bad_files_exit_2(
    runner: FlaskCliRunner, units: dict[str, Unit], tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    result = runner.invoke(args=["dossiers", "import", str(path)])
    assert result.exit_code == 2 and reason in result.stderr, result.output


def test_wrong_suffix_and_broken_workbook_exit_2(
    runner: FlaskCliRunner, units: dict[str, Unit], tmp_path: Path
) -> None:
    other = tmp_path / "f.json"
    other.write_text("{}")
    assert runner.invoke(args=["dossiers", "import", str(other)]).exit_code == 2
    broken = tmp_path / "f.xlsx"
    broken.write_bytes(b"PK not a zip")
    result = runner.invoke(args=["dossiers", "import", str(broken)])
    assert result.exit_code == 2 and "Excel" in result.stderr


def test_template_filled_and_imported(
    runner: FlaskCliRunner, units: dict[str, Unit], tmp_path: Path
) -> None:
    out = tmp_path / "mau.xlsx"
    assert runner.invoke(args=["dossiers", "template", str(out)]).exit_code == 0
    book = load_workbook(out)
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == list(FIELDS) and sheet.max_row == 1
    row = dossier(1, supplements=2, apology_sent=1)
    sheet.append([row[f] for f in FIELDS])
    # date and time cells as Excel holds them (a day is a moment at midnight; no zone)
    row = dossier(2, received_at=datetime(2026, 10, 8, 8, 30), due_date=date(2026, 10, 22))
    sheet.append([row[f] for f in FIELDS])
    book.save(out)
    result = runner.invoke(args=["dossiers", "import", str(out)])
    assert result.exit_code == 0, result.output
    one, two = db.session.scalars(select(Dossier).order_by(Dossier.code)).all()
    assert one.supplements == 2 and one.apology_sent is True
    assert two.received_at == one.received_at  # 08:30 Vietnam time, both ways
    assert two.due_date == date(2026, 10, 22)


def test_english_with_an_english_locale(
    runner: FlaskCliRunner, units: dict[str, Unit], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    refresh()
    path = write_csv(tmp_path / "bad.csv", [dossier(1, channel="zalo")])
    result = runner.invoke(args=["dossiers", "import", str(path)])
    assert result.exit_code == 2
    assert "has 1 problems; no dossier was imported" in result.stderr
    assert "row 2, column channel: channel “zalo” is not valid" in result.stderr
