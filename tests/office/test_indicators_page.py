"""The office page of indicators 5.4 and 5.2 (``/van-phong/chi-so-ho-so``): the fixture's
figures (tests/indicators/fixture.py), the units costing the most points first, the user's
units only, the period picker and its errors."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from ..factories import login_as
from ..indicators import fixture

URL = "/van-phong/chi-so-ho-so?ky=2025-Q4"


def _row(html: str, code: str) -> str:
    found = re.search(rf'<tr id="don-vi-{code}">(.*?)</tr>', html, re.S)
    assert found, html
    return found.group(1)


def _cells(row: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]


def test_figures_and_order(app: Flask, client: FlaskClient) -> None:
    units = fixture.build()
    login_as(client, "office", units["P"])
    page = client.get(URL)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.index('id="don-vi-A"') < html.index('id="don-vi-B"')  # A costs more points
    assert _cells(_row(html, "A")) == [
        "120",
        "30",
        "78",
        "12 10,0",
        "5 4,2",
        "6 50,0",
        "85,8",
        "5,72",
        "8,50",
        "33,3 1/3",
    ]
    assert _cells(_row(html, "B")) == [
        "80",
        "10",
        "62",
        "8 10,0",
        "3 3,8",
        "1 12,5",
        "86,3",
        "5,75",
        "5,50",
        "–",
    ]
    assert re.search(r'id="rate-5-4">\s*86,0', html)
    assert 'id="points-5-4">5,73<' in html
    assert re.search(r'id="rate-5-2">\s*33,3', html)
    assert 'name="loai"' in html  # the period picker


def test_only_the_users_units(app: Flask, client: FlaskClient) -> None:
    units = fixture.build()
    login_as(client, "office", units["B"])
    html = client.get(URL).get_data(as_text=True)
    assert 'id="don-vi-B"' in html and 'id="don-vi-A"' not in html
    assert 'id="points-5-4">5,75<' in html


def test_linked_from_the_overview(app: Flask, client: FlaskClient) -> None:
    units = fixture.build()
    login_as(client, "office", units["P"])
    html = client.get("/van-phong?ky=2025-Q4").get_data(as_text=True)
    assert 'href="/van-phong/chi-so-ho-so?ky=2025-Q4' in html


def test_staff_may_not_and_a_bad_period_is_400(app: Flask, client: FlaskClient) -> None:
    units = fixture.build()
    login_as(client, "staff", units["A"])
    assert client.get(URL).status_code == 403
    client.post("/dang-xuat")
    client2 = app.test_client()
    login_as(client2, "office", units["P"], username="vp.hai")
    bad = client2.get("/van-phong/chi-so-ho-so?ky=2025-Q9")
    assert bad.status_code == 400
    assert "Traceback" not in bad.get_data(as_text=True)


def test_late_against_on_time_table(app: Flask, client: FlaskClient) -> None:
    units = fixture.build()
    login_as(client, "office", units["P"])
    assert 'id="tre-han-toan-bo"' not in client.get(URL).get_data(as_text=True)  # on request
    html = client.get(URL + "&tre_han=1").get_data(as_text=True)
    # the fixture's verified responses of A: late dossiers A-0108 (answers 1, 2) and B-0075
    # (1, 2, 3): nobody satisfied → 0; on time or early: 8 respondents
    row = re.search(r'<tr id="tre-han-toan-bo">(.*?)</tr>', html, re.S)
    assert row, html
    cells = _cells(row.group(1))
    assert cells[0].startswith("0,0") and "n=2" in cells[0]
    assert "n=8" in cells[1]


def test_no_complaint_due_is_said_in_words(app: Flask, client: FlaskClient) -> None:
    # A period without any complaint due reads as a sentence, not as "– · 0 / 0 …".
    units = fixture.build()
    login_as(client, "office", units["P"])
    html = client.get("/van-phong/chi-so-ho-so?ky=2020-Q1").get_data(as_text=True)
    assert 'id="no-complaints-5-2"' in html
    assert "0 / 0 phản ánh" not in html
    html = client.get(URL).get_data(as_text=True)
    assert 'id="no-complaints-5-2"' not in html  # the fixture's period has complaints due
