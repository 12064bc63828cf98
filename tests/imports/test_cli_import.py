"""sipas import on the command line: exit codes, the error list on standard error, --dry-run."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner

from ..factories import all_responses
from .helpers import row, world, write_csv


def test_import_prints_a_summary(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    world()
    path = write_csv(tmp_path / "ok.csv", [row(A1="5"), row(A1="4", unit_code="OUT")])
    result = runner.invoke(args=["import", str(path), "--source", "giay-2026"])
    assert result.exit_code == 0, result.output
    assert "Đã nhập 2 phản hồi mới" in result.output and "0 phản hồi đã có" in result.output
    assert [r.source for r in all_responses()] == ["giay-2026", "giay-2026"]
    again = runner.invoke(args=["import", str(path)])
    assert again.exit_code == 0 and "Đã nhập 0 phản hồi mới" in again.output
    assert "2 phản hồi đã có" in again.output and len(all_responses()) == 2


def test_dry_run_stores_nothing(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    world()
    path = write_csv(tmp_path / "ok.csv", [row(A1="5")])
    result = runner.invoke(args=["import", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Sẽ nhập 1 phản hồi mới" in result.output and "không lưu gì" in result.output
    assert all_responses() == []


def test_a_bad_file_exits_2_and_lists_every_error_on_stderr(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    world()
    path = write_csv(tmp_path / "bad.csv", [row(A1="5"), row(A1="9"), row(unit_code="X", A1="1")])
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 2
    assert "có 2 lỗi, không nhập phản hồi nào" in result.stderr
    assert "dòng 3, cột A1: giá trị '9' không hợp lệ (chọn 1–5 hoặc để trống)" in result.stderr
    assert "dòng 4, cột unit_code: không có đơn vị mã 'X'" in result.stderr
    assert result.stdout == "" and "Traceback" not in result.output
    assert all_responses() == []


def test_wrong_arguments_exit_2_with_one_message(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    missing = runner.invoke(args=["import", str(tmp_path / "none.csv")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    other = tmp_path / "data.json"
    other.write_text("{}", encoding="utf-8")
    wrong = runner.invoke(args=["import", str(other)])
    assert wrong.exit_code == 2 and ".csv hoặc .xlsx" in wrong.output
    world()
    path = write_csv(tmp_path / "ok.csv", [row(A1="5")])
    bad_source = runner.invoke(args=["import", str(path), "--source", "Giấy tờ"])
    assert bad_source.exit_code == 2 and "nguồn 'Giấy tờ' không hợp lệ" in bad_source.stderr


def test_empty_and_header_only_files(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = runner.invoke(args=["import", str(empty)])
    assert result.exit_code == 2 and "tệp rỗng" in result.stderr
    header_only = write_csv(tmp_path / "header.csv", [])
    result = runner.invoke(args=["import", str(header_only)])
    assert result.exit_code == 2 and "tệp không có phản hồi nào" in result.stderr
