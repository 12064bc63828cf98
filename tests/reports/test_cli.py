"""`sipas report`: a pack from the command line; bad input exits 2 with one clear message."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from flask.testing import FlaskCliRunner

from . import golden
from .golden import Dataset

ROOT = Path(__file__).parents[2]


@pytest.fixture
def data(app: object) -> Dataset:
    return golden.build()


def test_report_pack(runner: FlaskCliRunner, data: Dataset, tmp_path: Path) -> None:
    out = tmp_path / "bc" / "quy1.zip"
    result = runner.invoke(args=["report", "--period", "2026-Q1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Quý I/2026" in result.output
    with zipfile.ZipFile(out) as archive:
        assert {"bao-cao.xlsx", "bao-cao.pdf"} <= set(archive.namelist())


def test_report_of_one_unit_with_the_reporting_cutoff(
    runner: FlaskCliRunner, data: Dataset, tmp_path: Path
) -> None:
    out = tmp_path / "a.xlsx"
    result = runner.invoke(
        args=[
            "report",
            "--period",
            "2026-Q1",
            "--cutoff",
            "report",
            "--unit",
            "A",
            "--integrity",
            "--out",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    cover = [c.value for c in book["Thong_tin"]["A"] if c.value]
    assert "Kỳ báo cáo: Quý I/2026 (từ 15/12/2025 đến 14/3/2026)" in cover
    codes = [r[1] for r in book["xep_hang"].iter_rows(min_row=4, values_only=True)]
    assert codes == ["A"]  # only the unit's subtree
    assert "liem_chinh" in book.sheetnames
    expected = golden.select_report_cutoff(data, "A")
    assert book["xep_hang"].cell(row=4, column=4).value == len(expected)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "2026-Q5"], "Kỳ báo cáo “2026-Q5” không hợp lệ"),
        (["--period", "quy 1"], "không hợp lệ"),
        (["--period", "2026-03-31..2026-01-01"], "ngày bắt đầu sau ngày kết thúc"),
        (["--period", "2026-Q1", "--unit", "KHONG"], "Không có đơn vị mã “KHONG”"),
        (["--period", "2026-Q1", "--cutoff", "tuan"], "Invalid value for '--cutoff'"),
    ],
)
def test_bad_input_exits_2(
    runner: FlaskCliRunner, data: Dataset, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "x.pdf"
    result = runner.invoke(args=["report", *args, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_unknown_format_exits_2(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(args=["report", "--period", "2026-Q1", "--out", str(tmp_path / "x.odt")])
    assert result.exit_code == 2 and ".xlsx, .pdf, .docx hoặc .zip" in result.output


def test_report_command_starts_without_the_heavy_libraries() -> None:
    code = (
        "import sys, survey_app.cli as c; app = c.create_app({'SECRET_KEY': 's', "
        "'HASH_KEY': 'h'}); assert 'report' in app.cli.commands; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'numpy', 'scipy', "
        "'matplotlib', 'reportlab', 'openpyxl', 'PIL', 'docx', 'lxml'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip() == "[]"
