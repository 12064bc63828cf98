"""The report's table of indicators 5.4 and 5.2 (``chi_so_766``): the fixture's figures
(tests/indicators/fixture.py), in a report pack built for 2025-Q4."""

from __future__ import annotations

import pytest
from flask import Flask

from survey_app.services import reports
from survey_app.services.reports.indicators import indicators_table

from ..indicators import fixture


def test_the_table(app: Flask) -> None:
    fixture.build()
    table = indicators_table(fixture.START, fixture.END, None)
    assert table.key == "chi_so_766"
    keys = [c.key for c in table.columns]
    rows = [dict(zip(keys, row, strict=True)) for row in table.rows]
    assert [r["ma"] for r in rows] == ["A", "B", ""]
    a, b, whole = rows
    assert (a["da_tra"], a["truoc_han"], a["dung_han"], a["tre_han"], a["pakn"]) == (
        120,
        30,
        78,
        12,
        5,
    )
    assert a["chi_so_54"] == pytest.approx(85.8333, abs=1e-4)
    assert a["diem_54"] == pytest.approx(5.7222, abs=1e-4)
    assert a["xin_loi"] == pytest.approx(50.0)
    assert a["lam_giam"] == pytest.approx(8.5)
    assert a["chi_so_52"] == pytest.approx(100 / 3) and a["diem_52"] == pytest.approx(2.0)
    assert b["chi_so_54"] == pytest.approx(86.25) and b["chi_so_52"] is None
    assert whole["don_vi"] == "Toàn bộ"
    assert (whole["da_tra"], whole["tre_han"], whole["pakn"]) == (200, 20, 8)
    assert whole["chi_so_54"] == pytest.approx(86.0)
    assert whole["diem_54"] == pytest.approx(5.7333, abs=1e-4)


def test_in_the_report_only_with_dossiers(app: Flask) -> None:
    units = fixture.build()
    content = reports.build(reports.ReportSpec(period="2025-Q4", unit_code="P"))
    table = next(t for t in content.tables if t.key == "chi_so_766")
    assert [row[0] for row in table.rows] == ["A", "B", ""]
    none = reports.build(reports.ReportSpec(period="2024-Q4", unit_code=units["P"].code))
    assert all(t.key != "chi_so_766" for t in none.tables)
