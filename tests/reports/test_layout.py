"""How the report's tables and charts are laid out: PDF headers wrap at spaces only (never
"SIPA/S (%)"), each column at least as wide as its title's longest word; unit names in the
ranking chart are wrapped, never cut."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Paragraph

import forms
from survey_app.services import org
from survey_app.services.ingest import responses
from survey_app.services.reports import ReportSpec, build, write
from survey_app.services.reports.charts import render
from survey_app.services.reports.pdf import (
    HEAD_SIZE,
    PADDING,
    PDF_HIDE,
    _styles,
    column_widths,
    fonts,
)

from ..conftest import database_kind
from ..factories import make_counter, make_unit, token_of

MARCH = datetime(2026, 3, 10, 3, tzinfo=UTC)
LONG_NAME = "Bộ phận Tiếp nhận và Trả kết quả giải quyết thủ tục hành chính phường Bến Hải Thượng"


@pytest.fixture(scope="module")
def built_reports() -> dict[str, object]:
    return {}


@pytest.fixture
def report(request: pytest.FixtureRequest, app: Flask, built_reports: dict[str, object]) -> object:
    """March's report of two units (one with a long name), 31 responses each: frozen data the
    tests only read, built once per module and database kind."""
    kind = database_kind(request)
    if kind not in built_reports:
        built_reports[kind] = _build_report()
    return built_reports[kind]


def _build_report() -> object:
    root = make_unit("R", "Tỉnh Thử")
    for code, name in (("A", LONG_NAME), ("B", "Trung tâm B")):
        counter = make_counter(make_unit(code, name, parent=root))
        info = org.counter_by_token(token_of(counter))
        assert info is not None
        for i in range(31):
            sub = responses.Submission(
                answers={"C1": 5 if i % 3 else 2}, comment=None, submitted_at=MARCH
            )
            responses.submit(info, forms.get(info.questionnaire_id), sub)
    return build(ReportSpec("2026-03"))


def _words(paragraph: Paragraph) -> list[str]:
    lines = paragraph.blPara.lines
    out: list[str] = []
    for line in lines:
        words = line[1] if isinstance(line, tuple) else [w.text for w in line.words]
        out += [str(w) for w in words]
    return out


def test_header_cells_wrap_at_spaces_only(report: object) -> None:
    styles = _styles()
    for table in report.tables:  # type: ignore[attr-defined]
        hidden = PDF_HIDE.get(table.key, set())
        columns = [c for c in table.columns if c.key not in hidden]
        widths = column_widths([c.title for c in columns], [c.width for c in columns])
        for column, width in zip(columns, widths, strict=True):
            head = Paragraph(column.title, styles["head"])
            head.wrap(width - PADDING, 1000)
            assert _words(head) == column.title.split(), (table.key, column.title, width)


def test_column_widths_make_room_for_the_longest_word() -> None:
    titles = ["Đơn vị", "SIPAS (%)", "Thay đổi (điểm %)"]
    widths = column_widths(titles, [20.0, 0.1, 0.1], 300)
    assert sum(widths) == pytest.approx(300)  # the page width is kept
    bold = fonts()[3]
    for title, width in zip(titles, widths, strict=True):
        longest = max(stringWidth(w, bold, HEAD_SIZE) for w in title.split())
        assert width >= longest + PADDING - 1e-6  # 300 × 0.1 / 20.2 = 1.5 points before


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_never_breaks_sipas_in_a_header(report: object, tmp_path: Path) -> None:
    pdf = write(report, tmp_path / "bc.pdf", "pdf")  # type: ignore[arg-type]
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "SIPAS" in text
    assert not re.search(r"SIPA\s*$", text, re.M) and not re.search(r"^\s*S\s*$", text, re.M)


def test_chart_unit_names_are_wrapped_not_cut(report: object) -> None:
    svg = render(report, "xep_hang", "svg").decode()  # type: ignore[arg-type]
    assert "…" not in svg
    for word in LONG_NAME.split():
        assert word in svg, word
