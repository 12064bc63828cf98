"""Coverage on the office pages (issue 14): served, answered and the rate with its interval
per unit and counter; a unit whose coverage is not representative is listed apart, not
ranked (the figures: tests/coverage_data.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from survey_app.services.analytics import coverage

from .. import coverage_data
from ..coverage_data import PERIOD
from ..factories import login_as


@pytest.fixture
def world(app: Flask, client: FlaskClient) -> dict[str, Any]:
    coverage.clear_cache()
    units = coverage_data.build()
    login_as(client, "office", units["P"])
    return units


def _row(html: str, attribute: str, code: str) -> str:
    found = re.search(rf'<tr {attribute}="{code}"[^>]*>(.*?)</tr>', html, re.S)
    assert found, f"no row {code}"
    return found.group(1)


def _coverage_cells(row: str) -> list[str]:
    cells = re.findall(r'<td class="num coverage[^"]*">(.*?)</td>', row, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in cells]


def test_overview_shows_served_answered_and_rate(
    world: dict[str, Any], client: FlaskClient
) -> None:
    html = client.get(f"/van-phong?ky={PERIOD}").get_data(as_text=True)
    # A: 400 served, 40 answered, 10.0 % (7.4–13.3); P pooled: 1,400, 70, 5.0 % (4.0–6.3)
    assert _coverage_cells(_row(html, "data-unit", "A")) == ["400", "40", "10,0 7,4–13,3"]
    assert _coverage_cells(_row(html, "data-unit", "B")) == ["1.000", "30", "3,0 2,1–4,3"]
    assert _coverage_cells(_row(html, "data-unit", "P")) == ["1.400", "70", "5,0 4,0–6,3"]


def test_a_unit_not_representative_is_listed_not_ranked(
    world: dict[str, Any], client: FlaskClient
) -> None:
    html = client.get(f"/van-phong?ky={PERIOD}").get_data(as_text=True)
    rank_a = re.search(r'<td class="num rank">(.*?)</td>', _row(html, "data-unit", "A"))
    rank_b = re.search(r'<td class="num rank">(.*?)</td>', _row(html, "data-unit", "B"))
    assert rank_a and rank_a.group(1) == "1"
    # B has 50 responses (enough to rank) but 3 % of its dossiers answered (under 5 %)
    assert rank_b and "†" in rank_b.group(1)
    apart = re.search(r'<section class="unrepresentative".*?</section>', html, re.S)
    assert apart is not None
    assert re.findall(r'data-apart="([^"]+)"', apart.group(0)) == ["B"]


def test_the_setting_changes_who_is_ranked(
    world: dict[str, Any], client: FlaskClient, app: Flask
) -> None:
    app.config["COVERAGE_MIN_RATE"] = 2.0
    html = client.get(f"/van-phong?ky={PERIOD}").get_data(as_text=True)
    assert 'class="unrepresentative"' not in html
    rank_b = re.search(r'<td class="num rank">(.*?)</td>', _row(html, "data-unit", "B"))
    assert rank_b and rank_b.group(1) in ("1", "2")


def test_drill_down_counters_and_unit_line(world: dict[str, Any], client: FlaskClient) -> None:
    html = client.get(f"/van-phong/don-vi/A?ky={PERIOD}").get_data(as_text=True)
    assert _coverage_cells(_row(html, "data-counter", "Q1")) == ["400", "40", "10,0 7,4–13,3"]
    assert _coverage_cells(_row(html, "data-counter", "Q2")) == ["–", "–", "–"]
    line = re.search(r'<p class="summary coverage" id="coverage">(.*?)</p>', html, re.S)
    assert line is not None
    assert "40/400" in line.group(1) and "10,0" in line.group(1) and "17" in line.group(1)
    parent = client.get(f"/van-phong/don-vi/P?ky={PERIOD}").get_data(as_text=True)
    assert re.findall(r'data-apart="([^"]+)"', parent) == ["B"]
    counter = client.get(f"/van-phong/don-vi/A/quay/Q1?ky={PERIOD}").get_data(as_text=True)
    assert "40/400" in counter


def test_no_dossiers_no_coverage_columns_filled(app: Flask, client: FlaskClient) -> None:
    """Without any dossier the page shows dashes and ranks as before."""
    from ..factories import make_unit

    coverage.clear_cache()
    unit = make_unit("P", "Tỉnh")
    login_as(client, "office", unit)
    html = client.get(f"/van-phong?ky={PERIOD}").get_data(as_text=True)
    assert 'class="unrepresentative"' not in html
    assert "Tỷ lệ trả lời" in html or "Response rate" in html
