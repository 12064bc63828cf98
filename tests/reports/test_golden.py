"""The golden report: every figure of the report for a fixed dataset, computed here in plain
Python (METHOD §4), compared with the XLSX opened by openpyxl, the CSVs, the PDF's text
(pdftotext, diacritics intact) and pages (pdftoppm), and the HTML partial."""

from __future__ import annotations

import csv
import io
import math
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from flask import Flask, render_template

from survey_app.services.reports import Report, ReportSpec, build, write

from ..conftest import database_kind
from . import golden
from .golden import Q1, Q4, SUBTREE, Dataset

POPPLER = shutil.which("pdftotext") and shutil.which("pdftoppm")
TOL = 1e-6


@pytest.fixture
def data(app: Flask) -> Dataset:
    return golden.build()


@pytest.fixture(scope="module")
def built_reports() -> dict[str, Report]:
    return {}


@pytest.fixture
def report(
    request: pytest.FixtureRequest, data: Dataset, built_reports: dict[str, Report]
) -> Report:
    """The 2026-Q1 report of the dataset.  A report is frozen data and the tests only read it
    (write it to files, render it): built once per module and database kind from the same
    seeded dataset (``data``, stored again for each test)."""
    kind = database_kind(request)
    if kind not in built_reports:
        built_reports[kind] = build(ReportSpec("2026-Q1"))
    return built_reports[kind]


def sheet(book: Any, key: str) -> list[dict[str, Any]]:
    """Rows of a table sheet as {column title: value} (header on row 3)."""
    rows = list(book[key].iter_rows(min_row=3, values_only=True))
    header = rows[0]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def ranking_flag(book: Any, code: str) -> str:
    return next(r["Đánh giá"] for r in sheet(book, "xep_hang") if r["Mã"] == code)


def close(value: Any, expected: float | None) -> bool:
    if expected is None:
        return value is None
    return isinstance(value, float | int) and abs(value - expected) < TOL


def expected_flag(n: int, index: float, high: float, target: float) -> str:
    """METHOD §4 flags, in the report's words."""
    if n < 30:
        return "chưa đủ dữ liệu"
    if index >= target:
        return "đạt"
    return "dưới mục tiêu (rõ rệt)" if high < target else "dưới mục tiêu"


def mover_significant(a: float, la: float, ua: float, b: float, lb: float, ub: float) -> bool:
    d = a - b
    low = d - math.hypot(a - la, ub - b)
    high = d + math.hypot(ua - a, b - lb)
    return low > 0 or high < 0


def test_golden_xlsx(data: Dataset, report: Report, tmp_path: Path) -> None:
    out = write(report, tmp_path / "bc.xlsx", "xlsx")
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[0] == "Thong_tin" and "Bieu_do" in book.sheetnames
    now_all = data.select(Q1, SUBTREE["P"])

    # Summary: respondents, SIPAS, target, how many units meet it.
    summary = sheet(book, "tom_tat")
    assert summary[0]["Số phiếu"] == len(now_all) == 70 + 45 + 12
    assert close(summary[0]["SIPAS (%)"], golden.sipas(now_all))
    assert summary[0]["Mục tiêu (%)"] == 90
    assert summary[0]["Đánh giá"] == ranking_flag(book, "P")
    assert summary[0]["Số đơn vị có ≥ 30 phiếu"] == 2  # A and L; C has 12
    assert summary[0]["Số đơn vị đạt mục tiêu"] == 1  # A
    land_all = [r for r in now_all if r.target_group == golden.LAND]
    assert summary[1]["Số phiếu"] == len(land_all) == 34 + 45
    assert close(summary[1]["SIPAS (%)"], golden.sipas(land_all))
    assert summary[1]["Mục tiêu (%)"] == 85
    assert (summary[1]["Số đơn vị có ≥ 30 phiếu"], summary[1]["Số đơn vị đạt mục tiêu"]) == (2, 1)

    # Ranking: the province first, then A and L ranked, C unranked.
    ranking = sheet(book, "xep_hang")
    assert [r["Mã"] for r in ranking] == ["P", "A", "L", "C"]
    assert [r["Hạng"] for r in ranking] == [None, 1, 2, None]
    for row in ranking:
        code = row["Mã"]
        now = data.select(Q1, SUBTREE[code])
        before = data.select(Q4, SUBTREE[code])
        assert row["Số phiếu"] == len(now)
        assert close(row["SIPAS (%)"], golden.sipas(now)), code
        for factor, value in golden.factors(now).items():
            assert close(row[factor], value), (code, factor)
        assert row["Mục tiêu (%)"] == golden.target(now)
        low, high = row["KTC 95 % – cận dưới"], row["KTC 95 % – cận trên"]
        assert low <= row["SIPAS (%)"] <= high
        assert row["Đánh giá"] == expected_flag(
            len(now), golden.sipas(now), high, golden.target(now)
        )
        if code == "L":
            assert high < 85  # below the target with its whole interval
        assert close(row["SIPAS Quý IV/2025 (%)"], golden.sipas(before) if before else None)
        if before:
            assert close(row["Thay đổi (điểm %)"], golden.sipas(now) - golden.sipas(before))
        else:
            assert row["Thay đổi (điểm %)"] is None
    # Significance of the change: MOVER on the two periods' intervals, computed here.
    rows_before = {r.unit for r in data.select(Q4)}
    assert rows_before == {"A", "L"}
    for code in ("A", "L"):
        row = next(r for r in ranking if r["Mã"] == code)
        old = build(ReportSpec("2025-Q4"))
        old_row = next(r for r in old.table("xep_hang").rows if r[1] == code)
        old_low, old_high = old_row[5]
        expected = mover_significant(
            row["SIPAS (%)"],
            row["KTC 95 % – cận dưới"],
            row["KTC 95 % – cận trên"],
            old_row[4],
            old_low,
            old_high,
        )
        assert row["Thay đổi có ý nghĩa"] == ("có" if expected else "không")
    assert next(r for r in ranking if r["Mã"] == "L")["Thay đổi có ý nghĩa"] == "có"

    # Land, construction and investment group: the land responses of each unit, against 85.
    land_rows = sheet(book, "dat_dai")
    assert [r["Mã"] for r in land_rows] == ["P", "A", "L"]
    for row in land_rows:
        now = data.select(Q1, SUBTREE[row["Mã"]], target_group=golden.LAND)
        assert row["Số phiếu"] == len(now)
        assert close(row["SIPAS (%)"], golden.sipas(now))
        assert row["Mục tiêu (%)"] == 85
    assert [r["Đánh giá"][:3] for r in land_rows] == ["dướ", "đạt", "dướ"]
    assert land_rows[2]["Đánh giá"] == "dưới mục tiêu (rõ rệt)"

    # Items: n, index and Wilson interval of every item of the province.
    items = sheet(book, "chi_so_thanh_phan")
    expected_codes = [c for f in golden.DV_FACTORS.values() for c in f] + [f"{f}0" for f in "ABCDE"]
    assert [r["Mã"] for r in items] == expected_codes
    for row in items:
        n, index = golden.item(now_all, row["Mã"])
        assert row["Số trả lời"] == n and close(row["Hài lòng (%)"], index)
        low, high = golden.wilson(index * n / 100, n)
        assert close(row["KTC 95 % – cận dưới"], low) and close(row["KTC 95 % – cận trên"], high)
        assert row["Yếu tố"] == row["Mã"][0]
    assert items[0]["Nội dung"].startswith("Trung tâm có biển hiệu")  # the unit's [Nơi]

    # Expectation: ranked by the share answering 3 or 4.
    expectation = sheet(book, "mong_doi")
    computed = {c: golden.item(now_all, c, (3, 4), (1, 2, 3, 4)) for c in golden.EXPECTATION}
    order = sorted(computed, key=lambda c: -(computed[c][1] or 0))
    assert [r["Mã"] for r in expectation] == order
    assert [r["Hạng"] for r in expectation] == list(range(1, 7))
    for row in expectation:
        n, index = computed[row["Mã"]]
        assert row["Số trả lời"] == n and close(row["Mong muốn (%)"], index)
    assert "liem_chinh" not in book.sheetnames  # only in inspector reports

    # Channels and procedures.
    channels = sheet(book, "hinh_thuc")
    assert {r["Mã"] or "" for r in channels} == {"truc_tiep", "truc_tuyen_mot_phan", ""}
    for row in channels:
        now = data.select(Q1, SUBTREE["P"], channel=row["Mã"] or None)
        assert row["Số phiếu"] == len(now) and close(row["SIPAS (%)"], golden.sipas(now))
    procedures = sheet(book, "thu_tuc")
    counts: dict[str, int] = {}
    for r in now_all:
        counts[r.procedure or ""] = counts.get(r.procedure or "", 0) + 1
    assert [r["Mã"] or "" for r in procedures] == sorted(counts, key=lambda c: (-counts[c], c))
    for row in procedures:
        now = data.select(Q1, SUBTREE["P"], procedure=row["Mã"] or None)
        assert row["Số phiếu"] == len(now) and close(row["SIPAS (%)"], golden.sipas(now))
        assert row["Mục tiêu (%)"] == golden.target(now)
    names = {r["Mã"]: r["Thủ tục"] for r in procedures}
    assert names["2.000001"] == "Cấp giấy chứng nhận quyền sử dụng đất"
    assert names[None] == "Không ghi thủ tục"

    # Trend: the last four quarters, oldest first.
    trend = sheet(book, "xu_huong")
    assert [r["Kỳ"] for r in trend] == ["Quý II/2025", "Quý III/2025", "Quý IV/2025", "Quý I/2026"]
    assert [r["Số phiếu"] for r in trend] == [0, 0, 90, 127]
    assert close(trend[2]["SIPAS (%)"], golden.sipas(data.select(Q4)))

    # Comments: grouped by the respondent's lowest-rated factor, personal data hidden.
    comments = sheet(book, "y_kien")
    commented = [r for r in now_all if r.comment]
    assert commented
    for row in comments:
        assert "0912" not in row["Ý kiến"]
    expected_groups = {golden.lowest_factor(r) for r in commented}
    assert {row["Yếu tố chấm thấp nhất"][0] for row in comments} == expected_groups
    formula = [c for c in book["y_kien"].iter_rows(min_row=4) if c[3].value.startswith("=")]
    assert all(c[3].data_type == "s" for c in formula)  # text, never a formula

    # Data sources: responses per source.
    sources = {r["Mã nguồn"]: r["Số phiếu"] for r in sheet(book, "nguon")}
    expected_sources: dict[str, int] = {}
    for r in now_all:
        expected_sources[r.source] = expected_sources.get(r.source, 0) + 1
    assert sources == expected_sources
    assert sum(sources.values()) == len(now_all)
    n = len(now_all)
    assert (
        f"Nguồn dữ liệu: {n} người trả lời trong kỳ; {n} phiếu lưu từng phiếu, theo nguồn"
        in report.methods[-1]
    )

    # Real numbers with number formats, frozen header rows, charts embedded.
    ws = book["xep_hang"]
    assert ws.freeze_panes == "A4"
    sipas_cell = ws.cell(row=5, column=5)
    assert isinstance(sipas_cell.value, float) and sipas_cell.number_format == "0.0"
    assert len(book["Bieu_do"]._images) == 3


def test_integrity_only_when_asked(data: Dataset, tmp_path: Path) -> None:
    report = build(ReportSpec("2026-Q1", integrity=True))
    book = openpyxl.load_workbook(write(report, tmp_path / "bc.xlsx", "xlsx"))
    rows = sheet(book, "liem_chinh")
    now_all = data.select(Q1)
    assert [r["Mã"] for r in rows] == ["Q5", "Q6"]
    for row in rows:
        n, rate = golden.item(now_all, row["Mã"], (2, 3), (1, 2, 3))
        assert row["Số trả lời"] == n and close(row["Tỉ lệ (%)"], rate)


def test_csv_zip_has_every_table(data: Dataset, report: Report, tmp_path: Path) -> None:
    out = write(report, tmp_path / "bc.zip", "csv")
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        assert names == [f"{i:02d}_{t.key}.csv" for i, t in enumerate(report.tables, 1)]
        text = archive.read("02_xep_hang.csv").decode("utf-8")
        comments = archive.read(next(n for n in names if "y_kien" in n)).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    province = rows[0]
    assert province["Mã"] == "P"
    assert abs(float(province["SIPAS (%)"]) - golden.sipas(data.select(Q1))) < TOL
    assert "'=HYPERLINK" in comments or "=HYPERLINK" not in comments


def test_zip_holds_every_format(report: Report, tmp_path: Path) -> None:
    out = write(report, tmp_path / "pack.zip", "zip")
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        assert archive.read("bao-cao.pdf").startswith(b"%PDF")
    assert {"bao-cao.xlsx", "bao-cao.pdf", "csv/02_xep_hang.csv"} <= names


@pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdftotext, pdftoppm) not installed")
def test_golden_pdf(data: Dataset, report: Report, tmp_path: Path) -> None:
    pdf = write(report, tmp_path / "bc.pdf", "pdf")
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    for phrase in (
        "Chỉ số hài lòng của người dân",
        "Quý I/2026 (từ 1/1/2026 đến 31/3/2026)",
        "Tỉnh Thử Nghiệm",
        "Văn phòng Đăng ký đất đai",
        "Xã Cỏ Lau",
        "dưới mục tiêu (rõ rệt)",
        "chưa đủ dữ liệu",
        "Xếp hạng mong đợi",
        "Ghi chú phương pháp",
        "Phiếu giấy",
        "Trang 1/",
    ):
        assert phrase in text, phrase
    sipas = golden.sipas(data.select(Q1))
    assert f"{sipas:.1f}".replace(".", ",") in text  # one decimal, as on every page
    assert "<script>" in text  # shown as text, not swallowed as markup
    assert "0912" not in text and "[đã che]" in text
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages")))
    assert "595.276 x 841.89" in info  # A4 portrait
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "DejaVuSans" in fonts and "Helvetica" not in fonts
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:])  # embedded
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == pages >= 3
    assert all(p.stat().st_size > 3000 for p in images)  # not blank


def test_html_partial_escapes_and_shows_the_figures(
    app: Flask, data: Dataset, report: Report
) -> None:
    with app.test_request_context():
        html = render_template(
            "reports/_content.html", report=report, chart_urls={"xep_hang": "/x.svg"}
        )
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "Quý I/2026 (từ 1/1/2026 đến 31/3/2026)" in html
    assert f"{golden.sipas(data.select(Q1)):.1f}".replace(".", ",") in html
    assert '<img src="/x.svg"' in html and "style=" not in html
    assert html.count("<caption>") == len(report.tables) - 1  # comments are a list


def test_progress_is_reported(data: Dataset) -> None:
    seen: list[tuple[float, str]] = []
    build(ReportSpec("2026-Q1"), progress=lambda f, m: seen.append((f, m)))
    fractions = [f for f, _m in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert all(m for _f, m in seen)
