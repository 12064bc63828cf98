"""The office overview's rows are kept per process while the data are the same (issue 14:
≤ 1 s warm for a province) and computed again after every change that alters them: a new
response, an import, a dossier change and an exclusion (figures: tests/coverage_data.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert

from survey_app.extensions import db
from survey_app.models import Dossier, Response
from survey_app.services.analytics import coverage, exclusions, office
from survey_app.services.clock import VN_TZ, today_local
from survey_app.services.storage import bulkload, generations

from .. import coverage_data
from ..coverage_data import DAY, PERIOD
from ..factories import login_as, make_user


@pytest.fixture
def world(app: Flask, client: FlaskClient) -> dict[str, Any]:
    coverage.clear_cache()
    units = coverage_data.build(today=today_local())
    login_as(client, "office", units["P"])
    return units


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the rows were computed (not taken from the cache)."""
    calls: list[int] = []
    real = office._unit_rows

    def counting(*args: Any) -> list[office.Row]:
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(office, "_unit_rows", counting)
    return calls


def _cells(client: FlaskClient, code: str, query: str = f"?ky={PERIOD}") -> tuple[str, str]:
    """(n, served) of a unit's row."""
    html = client.get(f"/van-phong{query}").get_data(as_text=True)
    row = re.search(rf'<tr data-unit="{code}"[^>]*>(.*?)</tr>', html, re.S)
    assert row, f"no row {code}"
    n = re.search(r'</th>\s*<td class="num">([^<]*)</td>', row.group(1))
    served = re.search(r'<td class="num coverage[^"]*">([^<]*)</td>', row.group(1))
    assert n and served
    return n.group(1), served.group(1)


def test_a_warm_overview_is_not_computed_again(
    world: dict[str, Any], client: FlaskClient, computed: list[int]
) -> None:
    first = client.get(f"/van-phong?ky={PERIOD}").get_data(as_text=True)
    again = client.get(f"/van-phong?ky={PERIOD}&sap_xep=n&chieu=giam").get_data(as_text=True)
    assert len(computed) == 1
    assert 'data-unit="A"' in first and 'data-unit="A"' in again
    client.get(f"/van-phong?ky={PERIOD}&phieu=mo")  # other filters: their own rows
    assert len(computed) == 2


def test_a_new_response_is_seen(world: dict[str, Any], client: FlaskClient) -> None:
    today = today_local()
    assert _cells(client, "A", "")[0] == "5"  # today's 5 responses at A / Q1 (current quarter)
    row = coverage_data._responses(world["A"], world["Q1"], today, [None])[0]
    row["submitted_at"] = datetime.now(UTC)
    db.session.execute(insert(Response), [row])  # as the form stores one: no forget
    db.session.commit()
    assert _cells(client, "A", "")[0] == "6"


def test_an_import_is_seen(world: dict[str, Any], client: FlaskClient) -> None:
    assert _cells(client, "A")[0] == "57"  # 52 at Q1 + 5 at Q2
    bulkload.insert_responses(coverage_data._responses(world["A"], world["Q2"], DAY, [None] * 3))
    db.session.commit()
    assert _cells(client, "A")[0] == "60"


def test_a_dossier_change_is_seen(world: dict[str, Any], client: FlaskClient) -> None:
    assert _cells(client, "A")[1] == "400"
    dossier = db.session.get(Dossier, 3001)  # A's dossier still open, now returned that day
    assert dossier is not None and dossier.returned_day is None
    dossier.returned_at = datetime.combine(DAY, time(11, 0), VN_TZ).astimezone(UTC)
    dossier.returned_day = DAY
    dossier.outcome = "da_tra"
    dossier.changed_at = datetime.now(UTC)
    db.session.commit()
    assert _cells(client, "A")[1] == "401"


def test_an_exclusion_is_seen(world: dict[str, Any], client: FlaskClient) -> None:
    assert _cells(client, "A")[0] == "57"
    html = client.get(f"/van-phong?ky={PERIOD}").get_data(as_text=True)
    assert re.search(r'id="excluded">[^<]*\b0\b', html)
    before = generations.read(generations.SCORES)
    inspector = make_user("tt.mot", "inspector", world["P"])
    exclusions.exclude(inspector, world["Q2"].id, DAY, "Phiếu thử")
    assert generations.read(generations.SCORES) == before + 1
    assert _cells(client, "A")[0] == "52"  # Q2's 5 open responses excluded
    html = client.get(f"/van-phong?ky={PERIOD}").get_data(as_text=True)
    assert re.search(r'id="excluded">[^<]*\b5\b', html)  # the count, kept too
