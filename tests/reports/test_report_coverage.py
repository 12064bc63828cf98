"""The coverage table of the report packs (issue 14; the figures: tests/coverage_data.py):
per unit served, invited, verified, open, rate and interval; B not representative, listed
in the ranking table without a rank."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from survey_app.services.analytics import coverage
from survey_app.services.reports import ReportSpec, build

from .. import coverage_data
from ..coverage_data import PERIOD


@pytest.fixture
def report(app: Flask) -> Any:
    coverage.clear_cache()
    coverage_data.build()
    return build(ReportSpec(PERIOD))


def _rounded(row: tuple[Any, ...]) -> tuple[Any, ...]:
    def r(v: Any) -> Any:
        if isinstance(v, float):
            return round(v, 2)
        if isinstance(v, tuple):
            return tuple(r(x) for x in v)
        return v

    return tuple(r(v) for v in row)


def test_coverage_table(report: Any) -> None:
    table = report.table("do_bao_phu")
    rows = {row[0]: _rounded(row) for row in table.rows}
    assert rows[""][2:] == (1400, 880, 70, 37, 5.0, (3.98, 6.27), "")
    assert rows["P"][2:] == (1400, 880, 70, 37, 5.0, (3.98, 6.27), "")
    assert rows["A"][2:] == (400, 380, 40, 17, 10.0, (7.43, 13.33), "")
    assert rows["B"][2:] == (1000, 500, 30, 20, 3.0, (2.11, 4.25), "Chưa đại diện (không xếp hạng)")


def test_not_representative_is_listed_not_ranked(report: Any) -> None:
    ranking = report.table("xep_hang")
    rank = {row[1]: row[0] for row in ranking.rows}
    assert rank["A"] == 1
    assert "B" in rank and rank["B"] is None


def test_the_pack_writes_the_table(report: Any, tmp_path: Any) -> None:
    from openpyxl import load_workbook

    from survey_app.services.reports import write

    out = tmp_path / "r.xlsx"
    write(report, out, "xlsx")
    sheet = load_workbook(out)["do_bao_phu"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert any(row[:6] == ["B", "Trung tâm B", 1000, 500, 30, 20] for row in values)
    pdf = tmp_path / "r.pdf"
    write(report, pdf, "pdf")
    assert pdf.stat().st_size > 0
