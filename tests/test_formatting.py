"""The one number and date formatter (services/formatting.py) in Vietnamese and English, its
Jinja filters, and one figure reading the same on the staff, office and inspector pages and in
the report's PDF and XLSX."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from flask_babel import force_locale, refresh

import forms
from survey_app.models import Counter
from survey_app.services import org
from survey_app.services.formatting import (
    DASH,
    clock_time,
    day,
    decimal,
    moment,
    number,
    percent,
    signed,
)
from survey_app.services.ingest import responses
from survey_app.services.reports import ReportSpec, build, write

from .factories import login_as, make_counter, make_unit, token_of

EVENING = datetime(2026, 3, 15, 20, 5, 7, tzinfo=UTC)  # 03:05 on 16/03 in Vietnam


@pytest.mark.parametrize(
    ("locale", "index", "count", "change", "drop", "hours"),
    [
        ("vi", "90,9", "1.234.567", "+1,2", "-0,4", "2,5"),
        ("en", "90.9", "1,234,567", "+1.2", "-0.4", "2.5"),
    ],
)
def test_numbers_in_each_language(
    locale: str, index: str, count: str, change: str, drop: str, hours: str
) -> None:
    assert percent(90.88, locale=locale) == index
    assert number(1234567, locale=locale) == count
    assert signed(1.23, locale=locale) == change
    assert signed(-0.44, locale=locale) == drop
    assert decimal(2.46, 1, locale=locale) == hours


def test_index_digits_and_counts() -> None:
    assert percent(100, locale="vi") == "100,0"
    assert percent(0.04, locale="vi") == "0,0"
    assert percent(-0.04, locale="vi") == "0,0"  # never "-0,0"
    assert percent(1234.56, locale="vi") == "1.234,6"
    assert percent(95.6, digits=2, locale="en") == "95.60"
    assert percent(33.5, digits=0, locale="en") == "34"
    assert number(12, locale="vi") == "12"
    assert number(1000, locale="en") == "1,000"
    assert signed(0, locale="vi") == "+0,0"
    assert percent(Decimal("12.25"), locale="en") == "12.3"


def test_rounding_is_half_away_from_zero_on_the_exact_value() -> None:
    """Like Intl.NumberFormat in static/*.js and Excel's number formats."""
    assert percent(0.25, locale="en") == "0.3"  # exactly 1/4: a true tie, away from zero
    assert signed(-0.25, locale="en") == "-0.3"
    assert percent(2.675, digits=2, locale="en") == "2.67"  # 2.67499999… as a double


def test_no_figure_is_one_dash() -> None:
    for text in (
        percent(None),
        signed(None),
        number(None),
        decimal(None),
        percent(float("nan")),
        moment(None),
        day(None),
    ):
        assert text == DASH == "–"


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_dates_in_vietnam_time(locale: str) -> None:
    assert moment(EVENING, locale) == "16/03/2026 03:05"
    assert moment(EVENING, locale, seconds=True) == "16/03/2026 03:05:07"
    assert clock_time(EVENING, locale) == "03:05"
    assert day(EVENING, locale) == "16/03/2026"  # the Vietnamese calendar day
    assert day(date(2026, 3, 5), locale) == "05/03/2026"
    assert "UTC" not in moment(EVENING, locale)


def test_default_locale_follows_flask_babel(app: Flask) -> None:
    assert percent(90.88) == "90,9"  # no request: the default language
    with app.app_context(), app.test_request_context("/?lang=en"):
        assert percent(90.88) == "90.9" and number(1234) == "1,234"
        with force_locale("vi"):
            assert percent(90.88) == "90,9"
        assert percent(90.88, locale="vi") == "90,9"  # an explicit locale wins


@pytest.mark.parametrize(
    ("lang", "expected"), [("vi", "90,9 1.234 +1,2"), ("en", "90.9 1,234 +1.2")]
)
def test_jinja_filters(app: Flask, lang: str, expected: str) -> None:
    with app.app_context(), app.test_request_context(f"/?lang={lang}"):
        text = render_template_string(
            "{{ x|percent }} {{ n|number }} {{ c|signed }}", x=90.88, n=1234, c=1.23
        )
        at = render_template_string("{{ t|moment }} {{ t|day }}", t=EVENING)
    assert text == expected
    assert at == "16/03/2026 03:05 16/03/2026"


# One figure everywhere -------------------------------------------------------------------

MARCH = datetime(2026, 3, 10, 3, tzinfo=UTC)  # 10:00 in Vietnam, period 2026-03
POPPLER = shutil.which("pdftotext")


def _submit(counter: Counter, answers: dict[str, int]) -> None:
    info = org.counter_by_token(token_of(counter))
    assert info is not None
    sub = responses.Submission(answers=answers, comment=None, submitted_at=MARCH)
    responses.submit(info, forms.get(info.questionnaire_id), sub)


@pytest.fixture
def unit_a(app: Flask) -> object:
    """33 answers of C1, 30 of them satisfied: SIPAS 90.909… (two decimals would say 90.91);
    Q5 reported (2–3) by 3 of 33: 9.0909… (9.09)."""
    unit = make_unit("A", "Trung tâm A")
    counter = make_counter(unit, "Q1", "Quầy A1")
    for i in range(33):
        _submit(counter, {"C1": 2 if i < 3 else 5, "Q5": 3 if i < 3 else 1, "Q6": 1})
    return unit


def _office(client: FlaskClient, lang: str) -> str:
    html = client.get(f"/van-phong?ky=2026-03&lang={lang}").get_data(as_text=True)
    row = re.search(r'<tr data-unit="A"[^>]*>(.*?)</tr>', html, re.S)
    assert row, html
    assert "90.91" not in row.group(1)  # what the page said before
    sipas = re.search(r'<td class="num sipas">([^<]*)<', row.group(1))
    assert sipas, row.group(1)
    return sipas.group(1)


def _staff(client: FlaskClient, lang: str) -> str:
    html = client.get(f"/nhan-vien?ngay=2026-03-10&lang={lang}").get_data(as_text=True)
    found = re.search(r'id="sipas">([^<]*)<', html)
    assert found, html
    return found.group(1)


def _inspector(client: FlaskClient, lang: str) -> str:
    html = client.get(f"/thanh-tra?ky=2026-03&lang={lang}").get_data(as_text=True)
    cell = re.search(r'<tr data-unit="A".*?data-item="Q5">([^<]*)<', html, re.S)
    assert cell, html
    return cell.group(1)


@pytest.mark.parametrize(
    ("role", "page", "vi", "en"),
    [
        ("staff", _staff, "90,9", "90.9"),
        ("office", _office, "90,9", "90.9"),
        ("inspector", _inspector, "9,1", "9.1"),
    ],
)
def test_one_figure_reads_the_same_on_every_page(
    app: Flask, client: FlaskClient, unit_a: object, role: str, page: Any, vi: str, en: str
) -> None:
    """SIPAS 90.909… on the staff and office pages, the Q5 rate 9.0909… on the inspector's;
    the same figures in the report below."""
    login_as(client, role, unit_a)  # type: ignore[arg-type]
    assert page(client, "vi") == vi
    refresh()  # the test's app context outlives requests: drop the cached locale
    assert page(client, "en") == en


def test_one_figure_reads_the_same_in_the_report(
    app: Flask, unit_a: object, tmp_path: Path
) -> None:
    """The report is Vietnamese: the same text as the Vietnamese pages."""
    report = build(ReportSpec("2026-03", integrity=True))
    book = openpyxl.load_workbook(write(report, tmp_path / "bc.xlsx", "xlsx"))
    cover = "\n".join(str(c.value) for c in book["Thong_tin"]["A"] if c.value is not None)
    assert "Chỉ số SIPAS: 90,9 %" in cover
    assert "Lập lúc: " in cover and "UTC" not in cover
    # Vietnam time (UTC+7), not the UTC clock the report was stamped with.
    assert f"Lập lúc: {moment(report.generated_at, 'vi')}" in cover
    assert report.generated_at.strftime("%d/%m/%Y %H:%M") not in cover
    rates = book["liem_chinh"]
    numeric = [c for row in rates.iter_rows(min_row=4) for c in row if isinstance(c.value, float)]
    assert numeric and {c.number_format for c in numeric} <= {"0.0"}  # numbers stay numbers
    if POPPLER:
        pdf = write(report, tmp_path / "bc.pdf", "pdf")
        text = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
        ).stdout
        assert "90,9 %" in text and "90,91" not in text
        assert re.search(r"\b9,1\b", text) and "9,09" not in text
