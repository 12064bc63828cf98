"""Report periods and their Vietnamese labels; scope of a report."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from flask import Flask

from survey_app.services.reports import ReportError, ReportSpec, build, write
from survey_app.services.reports.content import redact

from . import golden


@pytest.mark.parametrize(
    ("period", "cutoff", "label"),
    [
        ("2026-Q1", "report", "Quý I/2026 (từ 15/12/2025 đến 14/3/2026)"),
        ("2026-Q1", "calendar", "Quý I/2026 (từ 1/1/2026 đến 31/3/2026)"),
        ("2026-H1", "report", "6 tháng đầu năm 2026 (từ 15/12/2025 đến 14/6/2026)"),
        ("2026-H2", "calendar", "6 tháng cuối năm 2026 (từ 1/7/2026 đến 31/12/2026)"),
        ("2026", "report", "Năm 2026 (từ 15/12/2025 đến 14/12/2026)"),
        ("2026-03", "calendar", "Tháng 3/2026 (từ 1/3/2026 đến 31/3/2026)"),
        ("2026-01-05..2026-02-20", "report", "Từ 5/1/2026 đến 20/2/2026"),
    ],
)
def test_labels(period: str, cutoff: str, label: str) -> None:
    spec = ReportSpec(period, cutoff)
    spec.validate()
    assert spec.label() == label


@pytest.mark.parametrize(
    ("period", "previous"),
    [
        ("2026-Q1", "2025-Q4"),
        ("2026-Q3", "2026-Q2"),
        ("2026-H1", "2025-H2"),
        ("2026", "2025"),
        ("2026-01", "2025-12"),
        ("2026-03-01..2026-03-10", "2026-02-19..2026-02-28"),
    ],
)
def test_previous_period(period: str, previous: str) -> None:
    assert ReportSpec(period).previous().period == previous


@pytest.mark.parametrize(
    "period",
    [
        "2026-Q0",
        "2026-Q5",
        "26-Q1",
        "2026-13",
        "2026-H3",
        "2026-02-30..2026-03-01",
        "2020-01-01..2026-01-01",
        "",
        " 2026-Q1x",
    ],
)
def test_bad_periods_say_why_in_vietnamese(period: str) -> None:
    with pytest.raises(ValueError, match="Kỳ|Ngày"):
        ReportSpec(period).validate()


def test_bad_cutoff() -> None:
    with pytest.raises(ValueError, match="Mốc kỳ báo cáo"):
        ReportSpec("2026-Q1", cutoff="tuan").validate()


def test_custom_dates() -> None:
    assert ReportSpec("2026-01-05..2026-02-20").dates() == (date(2026, 1, 5), date(2026, 2, 20))


def test_scope_limits_the_report(app: Flask) -> None:
    data = golden.build()
    units = data.units
    only_a = [units["A"].id]
    report = build(ReportSpec("2026-Q1"), unit_ids=only_a)  # the caller's top unit
    assert report.unit_code == "A"
    assert [r[1] for r in report.table("xep_hang").rows] == ["A"]
    assert all(
        u != units["L"].name for _d, u, _t in (c for g in report.comments for c in g.comments)
    )
    with pytest.raises(ReportError, match="Không có đơn vị mã “L”"):
        build(ReportSpec("2026-Q1", unit_code="L"), unit_ids=only_a)
    with pytest.raises(ReportError, match="nhiều đơn vị"):
        build(ReportSpec("2026-Q1"), unit_ids=[units["A"].id, units["L"].id])
    # A unit's profile is drawn against its parent only when the caller may see the parent.
    assert build(ReportSpec("2026-Q1", unit_code="A")).profile.parent_name == "Tỉnh Thử Nghiệm"
    assert build(ReportSpec("2026-Q1"), unit_ids=only_a).profile is None


def test_empty_period_still_makes_a_report(app: Flask, tmp_path: Path) -> None:
    golden.build()
    report = build(ReportSpec("2024-Q1"))
    assert report.summary.respondents == 0 and report.summary.sipas is None
    assert report.table("xep_hang").rows == ()
    for fmt in ("xlsx", "pdf", "csv"):
        assert write(report, tmp_path / f"empty.{fmt}", fmt).stat().st_size > 1000


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Gọi 0912 345 678 nhé", "Gọi [đã che] nhé"),
        ("CCCD 001203004005", "CCCD [đã che]"),
        ("thư: an.nguyen@example.vn", "thư: [đã che]"),
        ("Chờ 15 phút, quầy số 3", "Chờ 15 phút, quầy số 3"),
    ],
)
def test_personal_data_is_hidden_in_comments(text: str, shown: str) -> None:
    assert redact(text) == shown
