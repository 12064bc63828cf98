"""Trust signals per counter and day (issue 14): each figure against a hand-computed fixture,
the page (who sees it, suspicious first), and exclusions that change ``sipas score``, the
office page and a report alike, and are undone by a restore."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

import forms
from survey_app.extensions import db
from survey_app.models import AuditEntry, Counter, Invitation, Response, Unit, User
from survey_app.models.trust import Exclusion
from survey_app.services import org
from survey_app.services.analytics import exclusions, trust
from survey_app.services.analytics.office import parse_filters
from survey_app.services.formatting import percent
from survey_app.services.ingest import responses
from survey_app.services.reports import ReportSpec, build

from ..factories import (
    csrf_of,
    login_as,
    make_counter,
    make_dossier,
    make_unit,
    make_user,
    token_of,
)

DAY = date(2026, 3, 10)  # a Tuesday, not a holiday; Vietnam is UTC+7


def vn(hour: int, minute: int = 0, second: int = 0) -> datetime:
    """``DAY`` at this Vietnam time, in UTC."""
    return datetime(2026, 3, 10, hour, minute, second, tzinfo=UTC) - timedelta(hours=7)


def _submit(
    counter: Counter,
    c1: int,
    when: datetime,
    client: str | None = None,
    dossier_id: int | None = None,
) -> int:
    info = org.counter_by_token(token_of(counter))
    assert info is not None
    sub = responses.Submission(answers={"C1": c1}, submitted_at=when, client_hash=client)
    verified = None
    if dossier_id:
        db.session.add(
            Invitation(
                dossier_id=dossier_id, token=f"t{dossier_id}", expires_at=when + timedelta(days=30)
            )
        )
        db.session.commit()
        verified = responses.Verified(dossier_id, counter.id, None)
    return responses.submit(info, forms.get(info.questionnaire_id), sub, verified).response_id


@pytest.fixture
def world(app: Flask) -> dict[str, object]:
    """Unit A (default hours 1-5 07:30-17:00), counters Q1 and Q2, on 2026-03-10:

    Q1: 2 dossiers returned; 1 verified response (C1 = 5, 10:00); open responses: client c1
    at 10:00:00, 10:00:30, 10:01:00 (C1 = 5: a burst of 3, all top), client c2 at 10:30
    (C1 = 3), no client at 18:30 (C1 = 4, outside the hours).
    → open 5, served 2, 2.5 per dossier; one burst of 3, top 3/3 in it and 0/2 outside;
    1 outside the hours; open SIPAS 3/5 = 60 % (C1 4–5: 5, 5, 5, 4 → 4/5 = 80 %).
    Q2: 3 dossiers returned; client c3 at 09:00 and 09:05 (C1 = 4): 2 per 3 dossiers,
    no burst (two only), nothing suspicious.
    """
    a = make_unit("A", "Trung tâm A")
    q1, q2 = make_counter(a, "Q1", "Quầy một"), make_counter(a, "Q2", "Quầy hai")
    dossiers = [
        make_dossier(a, f"H15.50.05.13-260310-{i:04d}", counter=q1, returned_at=vn(9 + i))
        for i in range(2)
    ]
    for i in range(3):
        make_dossier(a, f"H15.50.05.13-260310-{10 + i:04d}", counter=q2, returned_at=vn(9, i))
    _submit(q1, 5, vn(10), dossier_id=dossiers[0].id)
    for second in (0, 30, 60):
        _submit(q1, 5, vn(10, second // 60, second % 60), client="c1")
    _submit(q1, 3, vn(10, 30), client="c2")
    _submit(q1, 4, vn(18, 30))
    _submit(q2, 4, vn(9), client="c3")
    _submit(q2, 4, vn(9, 5), client="c3")
    inspector = make_user("thanh.tra", "inspector", a)
    return {"a": a, "q1": q1, "q2": q2, "inspector": inspector}


def _rows(user: User) -> list[trust.CounterDay]:
    return trust.counter_days(user, parse_filters({"ky": "2026-03"}))


def test_each_signal_of_a_counter_day_is_the_hand_computed_figure(
    world: dict[str, object],
) -> None:
    first, second = _rows(world["inspector"])  # type: ignore[arg-type]
    assert (first.counter_code, first.day) == ("Q1", DAY)  # suspicious first
    assert (first.open, first.verified, first.served) == (5, 1, 2)
    assert first.ratio == 2.5
    assert [(b.client, b.size, b.top) for b in first.bursts] == [("c1", 3, 3)]
    assert first.bursts[0].first_at == vn(10) and first.bursts[0].last_at == vn(10, 1)
    assert (first.top.in_bursts.k, first.top.in_bursts.n) == (3, 3)
    assert (first.top.outside.k, first.top.outside.n) == (0, 2)
    assert first.top.in_bursts.percent == 100.0 and first.top.outside.percent == 0.0
    assert first.outside_hours == 1
    assert first.reasons == ("ratio", "bursts", "hours")
    # Open SIPAS 80 % (4 of 5 answers 4–5) against verified 100 % (1 of 1): −20 points.
    assert first.gap is not None
    assert first.gap.open.index == pytest.approx(80.0)
    assert first.gap.verified.index == pytest.approx(100.0)
    assert first.gap.difference == pytest.approx(-20.0)
    assert first.gap.change.ci_low < -20.0 < first.gap.change.ci_high  # type: ignore[operator]
    assert (second.counter_code, second.open, second.served) == ("Q2", 2, 3)
    assert second.ratio == pytest.approx(2 / 3)
    assert second.bursts == () and second.outside_hours == 0 and not second.suspicious


def test_a_unit_s_own_opening_hours_decide_what_is_outside_them(
    world: dict[str, object],
) -> None:
    unit = world["a"]
    assert isinstance(unit, Unit)
    unit.opening_hours = "1-5 07:30-20:00"  # 18:30 is inside now; 10:00 still inside
    db.session.commit()
    assert _rows(world["inspector"])[0].outside_hours == 0  # type: ignore[arg-type]
    unit.opening_hours = "1-5 13:00-17:00"  # the morning's five and the 18:30 one are out
    db.session.commit()
    assert _rows(world["inspector"])[0].outside_hours == 6  # type: ignore[arg-type]


@pytest.mark.parametrize("app_config", [{"TRUST_BURST_MIN": 4}])
def test_the_burst_size_is_a_setting(world: dict[str, object]) -> None:
    row = _rows(world["inspector"])[0]  # type: ignore[arg-type]
    assert row.bursts == () and row.reasons == ("ratio", "hours")


def _score(app: Flask, *args: str) -> tuple[list[dict[str, object]], str]:
    result = app.test_cli_runner().invoke(
        args=["score", "--from", "2026-03-10", "--to", "2026-03-10", "--format", "json", *args]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), result.stderr


def _sipas(groups: list[dict[str, object]], **key: str) -> tuple[int, float]:
    for g in groups:
        group, sipas = g["group"], g["sipas"]
        assert isinstance(group, dict) and isinstance(sipas, dict)
        if all(group.get(k) == v for k, v in key.items()):
            return int(g["n"]), float(sipas["index"])  # type: ignore[call-overload]
    raise AssertionError(key)


def _office_sipas(client: FlaskClient) -> str:
    page = client.get("/van-phong/don-vi/A?ky=2026-03").get_data(as_text=True)
    found = re.search(r'<p class="excluded" id="excluded">([^<]*)</p>', page)
    assert found is not None
    return page


def test_excluding_a_burst_changes_every_index_alike_and_restoring_undoes_it(
    app: Flask, client: FlaskClient, world: dict[str, object]
) -> None:
    before, note = _score(app, "--by", "counter")
    # Q1: C1 answers 5 (verified), 5, 5, 5, 3, 4 → 5 of 6 are 4–5: 83.33 %.
    assert _sipas(before, counter="Q1") == (6, pytest.approx(500 / 6))
    assert note == ""  # nothing excluded: nothing said
    report_before = build(ReportSpec("2026-03"))
    assert report_before.summary.respondents == 8

    login_as(client, "inspector", world["a"], "tt.web")  # type: ignore[arg-type]
    page = client.get("/thanh-tra/tin-cay?ky=2026-03").get_data(as_text=True)
    assert 'data-counter-day="A/Q1/2026-03-10"' in page
    assert page.index("A/Q1/2026-03-10") < page.index("A/Q2/2026-03-10")
    token = csrf_of(client, "/thanh-tra/tin-cay?ky=2026-03")
    q1 = world["q1"]
    assert isinstance(q1, Counter)
    burst = {
        "csrf_token": token,
        "ky": "2026-03",
        "quay": str(q1.id),
        "ngay": "2026-03-10",
        "khach": "c1",
        "tu_luc": vn(10).isoformat(),
        "den_luc": vn(10, 1).isoformat(),
    }
    # No reason: refused, nothing excluded.
    refused = client.post("/thanh-tra/tin-cay/loai", data={**burst, "ly_do": "  "})
    assert refused.status_code == 303 and "loi=" in refused.headers["Location"]
    assert db.session.scalar(select(func.count(Exclusion.id))) == 0
    done = client.post("/thanh-tra/tin-cay/loai", data={**burst, "ly_do": "Một máy gửi 3 phiếu"})
    assert done.status_code == 303 and "loi=" not in done.headers["Location"]

    after, note = _score(app, "--by", "counter")
    # Q1 without the burst: 5 (verified), 3, 4 → 2 of 3: 66.67 %.
    assert _sipas(after, counter="Q1") == (3, pytest.approx(200 / 3))
    assert _sipas(after, counter="Q2") == _sipas(before, counter="Q2")
    assert "Đã loại 3 phiếu" in note
    unit_after = _sipas(_score(app, "--by", "unit")[0], unit="A")
    assert unit_after[0] == 5  # 8 responses, 3 excluded
    # The same figure in a report of the month and on the office page, with the count.
    report_after = build(ReportSpec("2026-03"))
    assert report_after.summary.respondents == 5
    assert report_after.summary.sipas == pytest.approx(unit_after[1])
    assert any("Phiếu bị loại: 3 phiếu" in line for line in report_after.methods)
    for path in ("/thanh-tra?ky=2026-03", "/thanh-tra/tin-cay?ky=2026-03"):
        assert "Đã loại 3 phiếu" in client.get(path).get_data(as_text=True)
    client.post("/dang-xuat", data={"csrf_token": csrf_of(client, "/thanh-tra")})
    login_as(client, "office", world["a"], "vp.web")  # type: ignore[arg-type]
    office = _office_sipas(client)
    assert "Đã loại 3 phiếu" in office
    assert percent(unit_after[1]) in office

    entry = db.session.scalars(select(Exclusion)).one()
    assert (entry.kind, entry.n, entry.client_hash) == ("dot", 3, "c1")
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert "trust.exclude" in actions

    # Restore (as the inspector): every figure is back.
    inspector = world["inspector"]
    assert isinstance(inspector, User)
    exclusions.restore(inspector, entry.id, "Đã xác minh: một gia đình")
    restored, note = _score(app, "--by", "counter")
    assert _sipas(restored, counter="Q1") == _sipas(before, counter="Q1")
    assert note == ""
    assert build(ReportSpec("2026-03")).summary.respondents == 8
    assert (
        db.session.scalar(select(func.count(Response.id)).where(Response.exclusion_id.is_not(None)))
        == 0
    )
    assert "trust.restore" in db.session.scalars(select(AuditEntry.action)).all()


def test_excluding_a_counter_day_leaves_its_verified_responses(
    app: Flask, world: dict[str, object]
) -> None:
    q1 = world["q1"]
    assert isinstance(q1, Counter)
    inspector = world["inspector"]
    assert isinstance(inspector, User)
    entry = exclusions.exclude(inspector, q1.id, DAY, "Quầy có nhiều phiếu hơn hồ sơ")
    assert entry.n == 5
    groups, note = _score(app, "--by", "counter")
    assert _sipas(groups, counter="Q1") == (1, pytest.approx(100.0))
    assert "Đã loại 5 phiếu" in note
    table = app.test_cli_runner().invoke(args=["score", "--period", "2026-03", "--by", "counter"])
    assert table.stdout.rstrip().splitlines()[-1].startswith("Đã loại 5 phiếu")
    row = _rows(inspector)[0]
    assert row.excluded == 5 and row.exclusion_id == entry.id
    # Twice is refused (nothing left to exclude); a restore twice too.
    with pytest.raises(exclusions.ExclusionError):
        exclusions.exclude(inspector, q1.id, DAY, "lại")
    exclusions.restore(inspector, entry.id, "nhầm")
    with pytest.raises(exclusions.ExclusionError):
        exclusions.restore(inspector, entry.id, "nhầm")
    assert _sipas(_score(app, "--by", "counter")[0], counter="Q1")[0] == 6


def test_only_inspectors_exclude_and_only_their_units(
    client: FlaskClient, world: dict[str, object]
) -> None:
    q1 = world["q1"]
    assert isinstance(q1, Counter)
    other = make_unit("B", "Trung tâm B")
    login_as(client, "admin", None, "quan.tri")
    assert client.get("/thanh-tra/tin-cay?ky=2026-03").status_code == 200  # sees, may not act
    token = csrf_of(client, "/thanh-tra/tin-cay?ky=2026-03")
    data = {"csrf_token": token, "quay": str(q1.id), "ngay": "2026-03-10", "ly_do": "x"}
    assert client.post("/thanh-tra/tin-cay/loai", data=data).status_code == 403
    client.post("/dang-xuat", data={"csrf_token": token})
    login_as(client, "office", world["a"], "van.phong")  # type: ignore[arg-type]
    assert client.get("/thanh-tra/tin-cay?ky=2026-03").status_code == 403
    client.post("/dang-xuat", data={"csrf_token": csrf_of(client, "/van-phong")})
    login_as(client, "inspector", other, "tt.b")
    page = client.get("/thanh-tra/tin-cay?ky=2026-03").get_data(as_text=True)
    assert "A/Q1" not in page
    token = csrf_of(client, "/thanh-tra/tin-cay?ky=2026-03")
    out = client.post("/thanh-tra/tin-cay/loai", data={**data, "csrf_token": token})
    assert out.status_code == 303 and "loi=" in out.headers["Location"]
    assert db.session.scalar(select(func.count(Exclusion.id))) == 0
    # The service refuses an admin too (the view's capability is not the only guard).
    admin = db.session.scalars(select(User).where(User.username == "quan.tri")).one()
    with pytest.raises(exclusions.ExclusionError):
        exclusions.exclude(admin, q1.id, DAY, "x")
    # Without the CSRF token: refused.
    assert client.post("/thanh-tra/tin-cay/loai", data={**data}).status_code == 400


def test_the_open_form_stores_a_day_keyed_client_hash(
    app: Flask, client: FlaskClient, world: dict[str, object]
) -> None:
    from ..factories import open_form

    q2 = world["q2"]
    assert isinstance(q2, Counter)
    token = token_of(q2)
    for _ in range(2):
        fields = open_form(client, token)
        fields["C1"] = "5"
        assert client.post(f"/f/{token}", data=fields).status_code == 303
    hashes = db.session.scalars(
        select(Response.client_hash).where(Response.local_day != DAY).order_by(Response.id)
    ).all()
    assert len(hashes) == 2 and hashes[0] == hashes[1] and len(hashes[0] or "") == 32
    assert "127.0.0.1" not in (hashes[0] or "")
