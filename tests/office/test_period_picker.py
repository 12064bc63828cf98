"""The period picker on the office, inspector and report pages: every kind and both cut-offs
round-trip through the page; a bad value keeps the page with the form and a message (400)."""

from __future__ import annotations

import html as htmllib
import re
from datetime import date
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient

from survey_app.models import Unit
from survey_app.services.analytics import periods
from survey_app.services.reports import jobs as report_jobs

from ..factories import csrf_of, login_as, make_unit

TODAY = date(2026, 12, 3)

# picker fields → (label, first day, last day) under the calendar and the 15–14 cut-off
KINDS: list[tuple[dict[str, str], str, tuple[str, str], tuple[str, str]]] = [
    (
        {"loai": "thang", "nam": "2026", "thang": "3"},
        "2026-03",
        ("01/03/2026", "31/03/2026"),
        ("15/02/2026", "14/03/2026"),
    ),
    (
        {"loai": "quy", "nam": "2026", "quy": "1"},
        "2026-Q1",
        ("01/01/2026", "31/03/2026"),
        ("15/12/2025", "14/03/2026"),
    ),
    (
        {"loai": "nua_nam", "nam": "2026", "nua": "2"},
        "2026-H2",
        ("01/07/2026", "31/12/2026"),
        ("15/06/2026", "14/12/2026"),
    ),
    (
        {"loai": "chin_thang", "nam": "2026"},
        "2026-9M",
        ("01/01/2026", "30/09/2026"),
        ("15/12/2025", "14/09/2026"),
    ),
    (
        {"loai": "nam", "nam": "2025"},
        "2025",
        ("01/01/2025", "31/12/2025"),
        ("15/12/2024", "14/12/2025"),
    ),
    (
        {"loai": "dau_nam", "nam": "2026"},
        "2026-YTD",
        ("01/01/2026", "03/12/2026"),
        ("15/12/2025", "03/12/2026"),
    ),
    (
        {"loai": "tuy_chon", "tu": "2026-02-01", "den": "2026-02-20"},
        "2026-02-01..2026-02-20",
        ("01/02/2026", "20/02/2026"),
        ("01/02/2026", "20/02/2026"),
    ),
]


@pytest.fixture
def province(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Unit:
    monkeypatch.setattr(periods, "today_local", lambda: TODAY)
    return make_unit("P", "Tỉnh Phía Bắc")


def _get(client: FlaskClient, path: str, params: dict[str, str]) -> tuple[int, str]:
    g.pop("_login_user", None)
    resp = client.get(path, query_string=params)
    return resp.status_code, htmllib.unescape(resp.get_data(as_text=True))


def _checked(page: str, name: str) -> list[str]:
    return re.findall(rf'name="{name}" value="([^"]+)" checked', page)


def _selected(page: str, name: str) -> str:
    block = re.search(rf'<select name="{name}">(.*?)</select>', page, re.S)
    assert block is not None
    found = re.search(r'<option value="([^"]+)" selected', block.group(1))
    assert found is not None
    return found.group(1)


@pytest.mark.parametrize(("fields", "label", "calendar", "cutoff"), KINDS)
@pytest.mark.parametrize(
    ("role", "path", "moc"),
    [
        ("office", "/van-phong", "lich"),
        ("office", "/van-phong", "bao_cao"),
        ("inspector", "/thanh-tra", "bao_cao"),
    ],
)
def test_every_kind_round_trips_through_the_page(
    client: FlaskClient,
    province: Unit,
    fields: dict[str, str],
    label: str,
    calendar: tuple[str, str],
    cutoff: tuple[str, str],
    moc: str,
    role: str,
    path: str,
) -> None:
    login_as(client, role, province)
    status, page = _get(client, path, {**fields, "moc": moc})
    assert status == 200
    start, end = cutoff if moc == "bao_cao" else calendar
    assert f"Kỳ {label}: {start} – {end}" in page
    # the picker shows what was picked
    assert _checked(page, "loai") == [fields["loai"]]
    assert _checked(page, "moc") == [moc]
    for name in ("thang", "quy", "nua"):
        if name in fields:
            assert _selected(page, name) == fields[name]
    for name in ("nam", "tu", "den"):
        if name in fields:
            assert f'name="{name}" value="{fields[name]}"' in page
    # the page's own links carry the label, and the label opens the same period
    status, again = _get(client, path, {"ky": label, "moc": moc})
    assert status == 200 and f"Kỳ {label}: {start} – {end}" in again
    assert _checked(again, "loai") == [fields["loai"]]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"loai": "quy", "nam": "abc"}, "Năm phải là một số từ 2000 đến 2100."),
        ({"loai": "thang", "nam": "2026", "thang": "13"}, "Tháng phải là một số từ 1 đến 12."),
        ({"loai": "dau_nam", "nam": "2030"}, "Năm 2030 chưa bắt đầu"),
        ({"loai": "tuy_chon", "tu": "2026-05-01", "den": "2026-04-01"}, "Ngày bắt đầu phải"),
        ({"loai": "tuan", "nam": "2026"}, "Hãy chọn loại kỳ"),
        ({"loai": "quy", "nam": "2026", "moc": "tuan"}, "Hãy chọn mốc kỳ"),
        ({"ky": "2026-Q5"}, "Kỳ không hợp lệ"),
        ({"ky": "quy-3"}, "Kỳ không hợp lệ"),
        ({"moc": "tuan"}, "Hãy chọn mốc kỳ"),
    ],
)
@pytest.mark.parametrize(
    ("role", "path", "title"),
    [
        ("office", "/van-phong", "Tổng quan các đơn vị"),
        ("inspector", "/thanh-tra", "Thanh tra: dấu hiệu liêm chính"),
    ],
)
def test_a_bad_value_keeps_the_page_and_the_form(
    client: FlaskClient,
    province: Unit,
    params: dict[str, str],
    message: str,
    role: str,
    path: str,
    title: str,
) -> None:
    login_as(client, role, province)
    status, page = _get(client, path, params)
    assert status == 400
    assert f"<h1>{title}</h1>" in page
    assert re.search(r'<div class="sum" role="alert" id="period-error"[^>]*>', page)
    assert message in page
    assert f'<form method="get" action="{path}"' in page and 'name="loai"' in page
    if "nam" in params and params["nam"].isdigit():
        assert f'name="nam" value="{params["nam"]}"' in page  # the values as typed
    assert "quy-3" not in page


def test_other_filters_are_kept_on_the_bad_period_page(client: FlaskClient, province: Unit) -> None:
    login_as(client, "office", province)
    status, page = _get(
        client, "/van-phong", {"loai": "quy", "nam": "x", "nhom": "chung", "sap_xep": "n"}
    )
    assert status == 400
    assert '<input type="hidden" name="nhom" value="chung">' in page
    assert '<input type="hidden" name="sap_xep" value="n">' in page


@pytest.mark.parametrize(("fields", "label", "calendar", "cutoff"), KINDS)
def test_every_kind_starts_a_report(
    client: FlaskClient,
    province: Unit,
    fields: dict[str, str],
    label: str,
    calendar: tuple[str, str],
    cutoff: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[Any] = []

    def fake_start(_user: Any, request: Any) -> Any:
        started.append(request)
        raise report_jobs.JobBusy(None)

    monkeypatch.setattr(report_jobs, "start", fake_start)
    login_as(client, "office", province)
    g.pop("_login_user", None)
    token = csrf_of(client, "/bao-cao")
    data = {**fields, "moc": "bao_cao", "don_vi": "P", "csrf_token": token}
    resp = client.post("/bao-cao", data=data)
    assert resp.status_code == 303
    assert (started[0].period, started[0].cutoff) == (label, "report")


def test_a_bad_report_period_keeps_the_form(client: FlaskClient, province: Unit) -> None:
    login_as(client, "office", province)
    data = {"loai": "chin_thang", "nam": "19", "moc": "lich", "don_vi": "P"}
    resp = client.post("/bao-cao", data={**data, "csrf_token": csrf_of(client, "/bao-cao")})
    page = htmllib.unescape(resp.get_data(as_text=True))
    assert resp.status_code == 400
    assert "Năm phải là một số từ 2000 đến 2100." in page
    assert _checked(page, "loai") == ["chin_thang"] and 'name="nam" value="19"' in page
