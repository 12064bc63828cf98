"""The unit tree on the office overview, the inspector page and the report: parent rows are
the pooled score of their subtree (not an average of their children), only units with
counters are ranked, each once (a ward and its only one-stop desk are not ranked twice),
"đạt x/y" counts each unit once, the ranking chart and table show the same units, and a
parent's drill-down lists its sub-units with their figures."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

import pytest
from flask import Flask
from flask.testing import FlaskClient

import forms
from scoring import Cutoff
from survey_app.extensions import db
from survey_app.models import Counter, Response, Unit
from survey_app.services import analytics
from survey_app.services.analytics.scores import score_stored
from survey_app.services.analytics.slices import Slice
from survey_app.services.reports import ReportSpec, build

from ..factories import login_as, make_counter, make_unit, make_user

DV = forms.get("sipas-2024-dv")
FACTOR_ITEMS = [c for codes in DV.factors().values() for c in codes]
DAY = date(2026, 8, 10)  # 2026-Q3, a closed quarter


def respond(counter: Counter, value: int, n: int) -> None:
    """``n`` responses answering every factor item with ``value`` (4–5: satisfied)."""
    at = datetime.combine(DAY, time(3, 0), tzinfo=UTC)
    db.session.add_all(
        Response(
            questionnaire_id="sipas-2024-dv",
            unit_id=counter.unit_id,
            counter_id=counter.id,
            target_group="chung",
            channel="truc_tiep",
            submitted_at=at,
            local_day=DAY,
            answers=dict.fromkeys(FACTOR_ITEMS, value),
            source="qr",
        )
        for _ in range(n)
    )
    db.session.commit()


@pytest.fixture
def world(app: Flask) -> dict[str, Unit]:
    """R (province, no counter) → W (ward, no counter) → D (its one-stop desk: 40 × 100 %);
    R → S (a centre: 20 satisfied, 20 not: 50 %); R → M (a centre with its own counter,
    30 × 100 %) → MC (its branch, 30 × 0 %).  Pooled R: 90 of 140 satisfied (64.3 %); the
    mean of its children's indices would be (100 + 50 + 50) / 3 = 66.7 %."""
    r = make_unit("R", "Tỉnh Thử")
    w = make_unit("W", "Phường Bến", parent=r)
    d = make_unit("D", "Bộ phận Một cửa phường Bến", parent=w)
    s = make_unit("S", "Trung tâm S", parent=r)
    m = make_unit("M", "Trung tâm M", parent=r)
    mc = make_unit("MC", "Chi nhánh M", parent=m)
    respond(make_counter(d), 5, 40)
    s_counter = make_counter(s)
    respond(s_counter, 5, 20)
    respond(s_counter, 2, 20)
    respond(make_counter(m), 5, 30)
    respond(make_counter(mc), 1, 30)
    return {"R": r, "W": w, "D": d, "S": s, "M": m, "MC": mc}


def _pooled(code: str) -> float:
    """The score of every response of ``code``'s subtree as one group."""
    (group,) = score_stored(Slice(start=date(2026, 7, 1), end=date(2026, 9, 30), unit_code=code))
    assert group.sipas.index is not None
    return group.sipas.index


def _rows() -> dict[str, analytics.office.Row]:
    filters = analytics.office.parse_filters({"ky": "2026-Q3"})
    admin = make_user("quan.tri", "admin", None)
    return {r.code: r for r in analytics.office.unit_rows(admin, filters)}


def test_parent_rows_are_pooled_subtotals(world: dict[str, Unit], app: Flask) -> None:
    rows = _rows()
    parent = rows["R"]
    assert parent.subtotal and parent.n == 140
    assert parent.index("sipas") == pytest.approx(_pooled("R"))
    assert parent.index("sipas") == pytest.approx(100 * 90 / 140)
    children = [rows[c].index("sipas") or 0.0 for c in ("W", "S", "M")]
    assert parent.index("sipas") != pytest.approx(sum(children) / 3)  # not an average
    assert rows["M"].n == 60 and rows["M"].index("sipas") == pytest.approx(50.0)  # M + MC
    # The ward is its desk's subtotal: the same figures, one level up.
    assert rows["W"].n == rows["D"].n == 40 and rows["W"].subtotal and not rows["W"].serving
    assert (rows["R"].depth, rows["W"].depth, rows["D"].depth) == (0, 1, 2)


def test_only_serving_units_are_ranked_each_once(world: dict[str, Unit], app: Flask) -> None:
    rows = _rows()
    ranks = {code: r.rank for code, r in rows.items() if r.rank is not None}
    # D and M (own counter: 100 %, not its pooled 50 %) tie, then S, then MC; R, W: subtotals.
    assert ranks == {"D": 1, "M": 2, "S": 3, "MC": 4}


def test_overview_page_is_a_tree_with_one_rank_per_unit(
    world: dict[str, Unit], client: FlaskClient
) -> None:
    login_as(client, "office", world["R"])
    html = client.get("/van-phong?ky=2026-Q3").get_data(as_text=True)
    order = re.findall(r'<tr data-unit="([^"]+)" data-depth="(\d)"', html)
    # Siblings by name (the default sort): Phường Bến, Trung tâm M, Trung tâm S.
    assert order == [("R", "0"), ("W", "1"), ("D", "2"), ("M", "1"), ("MC", "2"), ("S", "1")]
    ranks = dict(re.findall(r'<tr data-unit="([^"]+)"[^>]*>\s*<td class="num rank">(\d+)<', html))
    assert ranks == {"D": "1", "M": "2", "S": "3", "MC": "4"}
    assert "trực tiếp phục vụ người dân" in html  # the page says what is ranked
    # The level filter (no JavaScript): one level shows the province only.
    top = client.get("/van-phong?ky=2026-Q3&cap=1").get_data(as_text=True)
    assert re.findall(r'<tr data-unit="([^"]+)"', top) == ["R"]
    assert client.get("/van-phong?ky=2026-Q3&cap=x").status_code == 400


def test_a_parent_drill_down_lists_its_sub_units(
    world: dict[str, Unit], client: FlaskClient
) -> None:
    login_as(client, "office", world["R"])
    html = client.get("/van-phong/don-vi/W?ky=2026-Q3").get_data(as_text=True)
    assert "Đơn vị chưa có quầy nào" not in html
    row = re.search(r'<tr data-unit="D".*?</tr>', html, re.S)
    assert row and "Bộ phận Một cửa phường Bến" in row.group(0)
    assert re.search(r'<td class="num">40</td>', row.group(0))


def test_report_ranks_each_serving_unit_once(world: dict[str, Unit], app: Flask) -> None:
    report = build(ReportSpec("2026-Q3"))
    table = report.table("xep_hang")
    codes = [row[table.column("ma")] for row in table.rows]
    assert codes[0] == "R" and str(table.rows[0][table.column("don_vi")]).endswith("(toàn bộ)")
    assert codes[1:] == ["D", "M", "S", "MC"]  # W (the ward) is not ranked beside its desk
    ranks = [row[table.column("hang")] for row in table.rows]
    assert ranks == [None, 1, 2, 3, 4]
    m = table.rows[codes.index("M")]
    assert m[table.column("n")] == 30  # M's own responses, not its branch's as well
    # The chart shows the same units as the table.
    assert {bar.code for bar in report.ranking} == set(codes[1:])
    # "đạt x/y": each unit once — D and M meet 90 %, S and MC do not.
    s = report.summary
    assert (s.units_meeting, s.units_assessed, s.units_ranked) == (2, 4, 4)
    summary = report.table("tom_tat")
    first = summary.rows[0]
    assert (first[summary.column("don_vi_dat")], first[summary.column("don_vi_danh_gia")]) == (2, 4)


def test_report_tree_table_pools_parents(world: dict[str, Unit], app: Flask) -> None:
    report = build(ReportSpec("2026-Q3"))
    tree = report.table("cay_don_vi")
    codes = [row[tree.column("ma")] for row in tree.rows]
    assert codes == ["R", "M", "MC", "S", "W", "D"]
    assert tree.depths == (0, 1, 2, 1, 1, 2)
    r = tree.rows[0]
    assert r[tree.column("n")] == 140
    assert r[tree.column("sipas")] == pytest.approx(_pooled("R"))
    assert r[tree.column("loai")] == "Tổng gộp"


def test_own_aggregate_scores_each_unit_alone(world: dict[str, Unit], app: Flask) -> None:
    groups = score_stored(
        Slice(
            start=date(2026, 7, 1),
            end=date(2026, 9, 30),
            by=("unit",),
            cutoff=Cutoff.CALENDAR,
            aggregate="own",
        )
    )
    n = {g.key["unit"]: g.n for g in groups}
    assert n == {"D": 40, "S": 40, "M": 30, "MC": 30}  # no parent pools its children


def test_inspector_page_shows_the_tree(world: dict[str, Unit], client: FlaskClient) -> None:
    login_as(client, "inspector", world["R"])
    html = client.get("/thanh-tra?ky=2026-Q3").get_data(as_text=True)
    section = html[html.index('id="h-units"') :]
    order = re.findall(r'<tr data-unit="([^"]+)" data-depth="(\d)"', section)
    assert order == [("R", "0"), ("M", "1"), ("MC", "2"), ("S", "1"), ("W", "1"), ("D", "2")]
    drill = client.get("/thanh-tra/don-vi/W?ky=2026-Q3").get_data(as_text=True)
    assert re.search(r'<tr data-unit="D" data-depth="0"', drill)


def test_a_unit_with_responses_of_its_own_is_ranked_without_counters(
    world: dict[str, Unit], app: Flask
) -> None:
    """Paper forms typed in for a unit without counters: it serves citizens all the same."""
    paper = make_unit("PAPER", "Xã Giấy", parent=world["R"])
    at = datetime.combine(DAY, time(3, 0), tzinfo=UTC)
    db.session.add_all(
        Response(
            questionnaire_id="sipas-2024-dv",
            unit_id=paper.id,
            counter_id=None,
            target_group="chung",
            channel=None,
            submitted_at=at,
            local_day=DAY,
            answers=dict.fromkeys(FACTOR_ITEMS, 4),
            source="paper",
        )
        for _ in range(30)
    )
    db.session.commit()
    rows = _rows()
    assert rows["PAPER"].serving and rows["PAPER"].rank is not None
    assert rows["W"].rank is None and rows["R"].rank is None
    report = build(ReportSpec("2026-Q3"))
    table = report.table("xep_hang")
    assert [r[table.column("ma")] for r in table.rows].count("PAPER") == 1
