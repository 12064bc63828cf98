"""Stored day blocks: scored like the answers, kept right by bulk loads,
forgotten with the half-months, and the pages read only the open day's answers."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import Response
from survey_app.models.responses import DayBlock
from survey_app.services.analytics import filescore, scores
from survey_app.services.analytics import office as overview
from survey_app.services.analytics import staff as dashboard
from survey_app.services.analytics.slices import Slice
from survey_app.services.clock import VN_TZ
from survey_app.services.storage import buckets, bulkload, daystats

from .. import daystats_check
from ..factories import (
    make_counter,
    make_procedure,
    make_unit,
    make_user,
    seed_questionnaires,
)


@pytest.fixture
def place(app: Flask) -> dict[str, Any]:
    seed_questionnaires()
    parent = make_unit("P", "Tỉnh Thử")
    unit = make_unit("P.U1", parent=parent)
    other = make_unit("P.U2", "Xã Khác", parent=parent, questionnaire_id="sipas-2024-nhanh")
    return {
        "parent": parent,
        "unit": unit,
        "other": other,
        "counters": [make_counter(unit, "Q1"), make_counter(unit, "Q2"), make_counter(other, "Q1")],
        "procedure": make_procedure(unit),
    }


def _rows(place: dict[str, Any], days_ago: list[int], seed: int) -> list[dict[str, Any]]:
    today = datetime.now(VN_TZ).date()
    rows = []
    for i, back in enumerate(days_ago):
        counter = place["counters"][(i + seed) % 3]
        day = today - timedelta(days=back)
        moment = datetime.combine(day, time(8 + i % 9, i % 60), VN_TZ).astimezone(UTC)
        k = i * 7 + seed
        dv = counter.unit_id == place["unit"].id
        answers = (
            {"A1": 1 + k % 5, "B2": 1 + (k // 5) % 5, "C1": 1 + (k // 3) % 5, "Q5": 1 + k % 3}
            if dv
            else {"C0": 1 + k % 5, "A0": 1 + (k // 2) % 5}
        )
        if k % 4 == 0:
            answers.pop(next(iter(answers)))
        named = dv and k % 3 == 0
        rows.append(
            {
                "questionnaire_id": "sipas-2024-dv" if dv else "sipas-2024-nhanh",
                "unit_id": counter.unit_id,
                "counter_id": None if k % 11 == 0 else counter.id,
                "procedure_id": place["procedure"].id if named else None,
                "target_group": "dat_dai_xay_dung_dau_tu" if named else "chung",
                "channel": [None, "truc_tiep", "truc_tuyen_mot_phan"][k % 3],
                "submitted_at": moment,
                "local_day": day,
                "answers": answers,
                "comment": None,
                "source": "paper",
                "idempotency_key": None,
                "receipt_hash": None,
            }
        )
    return rows


def _from_answers(query: Slice) -> list[dict[str, Any]]:
    """The same slice scored from every answer (no stored statistics)."""
    rows = scores._raw_rows([(query.start, query.end)], None)
    return filescore.score_rows(rows, query)


def _spread(n: int) -> list[int]:
    return [i % 40 for i in range(n)]  # today and the 39 days before


@pytest.mark.parametrize(
    "by", [(), ("counter", "channel", "day"), ("target_group", "month"), ("channel",)]
)
def test_stored_days_score_like_the_answers(place: dict[str, Any], by: tuple[str, ...]) -> None:
    bulkload.insert_responses(_rows(place, _spread(600), seed=1))
    db.session.commit()
    today = scores.today_local()
    query = Slice(start=today - timedelta(days=45), end=today, by=by)
    stored = scores.score_database(query)
    assert db.session.scalar(select(func.count(DayBlock.id))) > 0
    assert stored == _from_answers(query)
    assert sum(g["n"] for g in stored) == 600  # each response in one group


def test_a_bulk_load_adds_to_stored_days(place: dict[str, Any]) -> None:
    bulkload.insert_responses(_rows(place, _spread(300), seed=2))
    db.session.commit()
    today = scores.today_local()
    daystats.ensure(today - timedelta(days=45), today)
    before, _markers = daystats_check.stored()
    bulkload.insert_responses(_rows(place, _spread(250), seed=3))  # into the same days
    db.session.commit()
    added, markers = daystats_check.stored()
    assert set(added) >= set(before)
    assert sum(map(len, added.values())) == sum(map(len, before.values())) + sum(
        1 for back in _spread(250) if daystats.closed(today - timedelta(days=back))
    )
    assert daystats_check.assert_stored_days_match_the_responses()
    daystats.forget(markers)  # packed again from the responses
    db.session.commit()
    daystats.ensure(today - timedelta(days=45), today)
    assert daystats_check.stored() == (added, markers)
    per_day = {
        d: n
        for d, n in db.session.execute(
            select(Response.local_day, func.count(Response.id)).group_by(Response.local_day)
        )
    }
    assert {d: n for d, n in markers.items() if n} == {
        d: n for d, n in per_day.items() if daystats.closed(d)
    }


def test_a_day_with_earlier_answers_is_computed_from_them(place: dict[str, Any]) -> None:
    first = _rows(place, [5, 5, 6], seed=4)
    for row in first:  # stored without the bulk loader (as a submission would be)
        db.session.add(Response(**row))
    db.session.commit()
    bulkload.insert_responses(_rows(place, [5, 6, 7] * 20, seed=5))
    db.session.commit()
    today = scores.today_local()
    query = Slice(start=today - timedelta(days=10), end=today, by=("counter",))
    assert scores.score_database(query) == _from_answers(query)
    assert (
        sum(
            g["n"]
            for g in scores.score_database(Slice(start=today - timedelta(days=10), end=today))
        )
        == 63
    )


def test_forgetting_days_drops_their_statistics(place: dict[str, Any]) -> None:
    bulkload.insert_responses(_rows(place, [3, 4, 20], seed=6))
    db.session.commit()
    today = scores.today_local()
    stored = daystats.ensure(today - timedelta(days=30), today)
    assert daystats.stored_days(stored) == set(stored)
    buckets.forget([today - timedelta(days=3)])  # what a write outside the bulk loader does
    db.session.commit()
    assert daystats.stored_days(stored) == set(stored) - {today - timedelta(days=3)}


def test_today_is_open_and_yesterday_closed(app: Flask) -> None:
    now = datetime.now(VN_TZ)
    if now.hour == 0 and now.minute < 15:
        pytest.skip("just after midnight yesterday is still open")
    today = now.date()
    assert not daystats.closed(today)
    assert daystats.closed(today - timedelta(days=1))
    assert daystats.first_open_day() == today


def test_pages_read_only_the_open_days_answers(
    place: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    bulkload.insert_responses(_rows(place, _spread(400), seed=7))
    db.session.commit()
    read: list[tuple[date, date]] = []
    raw_rows = scores._raw_rows

    def spy(ranges: list[tuple[date, date]], *args: Any) -> scores.Rows:
        read.extend(ranges)
        return raw_rows(ranges, *args)

    monkeypatch.setattr(scores, "_raw_rows", spy)
    opened: list[date] = []
    read_open = daystats._read_open

    def spy_open(day: date, *args: Any) -> None:
        opened.append(day)
        read_open(day, *args)

    monkeypatch.setattr(daystats, "_read_open", spy_open)
    user = make_user("vp.mot", "office", place["parent"])
    staff = make_user("nv.mot", "staff", place["unit"])
    today = scores.today_local()
    points = dashboard.trend(staff, today)
    assert sum(p[1]["n"] for p in points) == sum(
        1
        for r in _rows(place, _spread(400), seed=7)
        if r["unit_id"] == place["unit"].id and r["local_day"] > today - timedelta(days=30)
    )
    rows = overview.unit_rows(user, overview.parse_filters({}))
    assert any(r.n for r in rows)
    overview.unit_rows(user, overview.parse_filters({"hinh_thuc": "truc_tiep"}))
    overview.unit_rows(user, overview.parse_filters({"thu_tuc": place["procedure"].code}))
    assert read == []  # no answers read for any closed day
    assert opened and set(opened) <= {daystats.first_open_day(), today}


def test_the_open_day_follows_new_responses(place: dict[str, Any]) -> None:
    today = scores.today_local()
    query = Slice(start=today - timedelta(days=2), end=today, by=("counter", "procedure"))
    rows = _rows(place, [0] * 40, seed=8)
    for i, row in enumerate(rows):
        row["id"] = 1000 + i
    bulkload.insert_responses(rows)
    db.session.commit()
    assert scores.score_database(query) == _from_answers(query)
    more = _rows(place, [0] * 5 + [1] * 3, seed=9)  # one counter cell changes
    bulkload.insert_responses(more)
    db.session.commit()
    assert scores.score_database(query) == _from_answers(query)
    late = _rows(place, [0] * 6, seed=10)
    for i, row in enumerate(late):  # ids below those summed already
        row["id"] = 10 + i
    bulkload.insert_responses(late)
    db.session.commit()
    result = scores.score_database(query)
    assert result == _from_answers(query)
    assert sum(g["n"] for g in result) == 54


def test_a_counter_limited_staff_sees_its_counter_only(place: dict[str, Any]) -> None:
    rows = _rows(place, _spread(300), seed=11)
    bulkload.insert_responses(rows)
    db.session.commit()
    mine = place["counters"][1]
    user = make_user("nv.quay", "staff", place["unit"])
    user.roles[0].counter_id = mine.id
    db.session.commit()
    assert dashboard.scope_ids(user) == (set(), {mine.id})
    today = scores.today_local()
    points = dashboard.trend(user, today)
    wanted = [
        r
        for r in rows
        if r["counter_id"] == mine.id and r["local_day"] > today - timedelta(days=30)
    ]
    assert sum(p[1]["n"] for p in points) == len(wanted)
    day = dashboard.today(user, today)
    assert day.total == sum(1 for r in wanted if r["local_day"] == today)
    assert [c.counter_name for c in day.counters] == [mine.name]


def _filtered(
    groups: list[dict[str, Any]], where: tuple[tuple[str, str], ...], drop: tuple[str, ...]
) -> list[dict[str, Any]]:
    """The groups matching ``where``, without the dimensions ``drop`` in their key."""
    out = []
    for g in groups:
        if all(g["group"][dim] == value for dim, value in where):
            out.append({**g, "group": {k: v for k, v in g["group"].items() if k not in drop}})
    return out


def _answered(value: Any) -> Any:
    """``value`` without the entries of items nobody answered (``n`` 0): an item of a
    questionnaire appears with ``n`` 0 when other groups of the same call used it."""
    if isinstance(value, dict):
        return {
            k: _answered(v)
            for k, v in value.items()
            if not (isinstance(v, dict) and v.get("n") == 0 and v.get("index") is None)
        }
    if isinstance(value, list):
        return [_answered(v) for v in value]
    return value


WHERES = [
    (("channel", "truc_tiep"),),
    (("channel", ""),),
    (("procedure", "P-CODE"),),
    (("procedure", ""), ("target_group", "chung")),
    (("target_group", "dat_dai_xay_dung_dau_tu"), ("channel", "")),
    (("target_group", "chung"), ("channel", "truc_tuyen_mot_phan")),
    (("channel", ""), ("procedure", "P-CODE")),
]


@pytest.mark.parametrize("where", WHERES)
@pytest.mark.parametrize("by", [(), ("month",), ("counter",), ("target_group",)])
def test_a_filtered_slice_scores_like_the_matching_answers(
    place: dict[str, Any], by: tuple[str, ...], where: tuple[tuple[str, str], ...]
) -> None:
    where = tuple((d, place["procedure"].code if v == "P-CODE" else v) for d, v in where)
    bulkload.insert_responses(_rows(place, _spread(600), seed=12))
    db.session.commit()
    today = scores.today_local()
    dims = tuple(d for d, _v in where if d not in by)
    query = Slice(start=today - timedelta(days=45), end=today, by=by, where=where)
    expected = _filtered(
        _from_answers(Slice(start=query.start, end=query.end, by=(*by, *dims))), where, dims
    )
    assert expected  # the filter keeps some responses
    assert _answered(scores.score_database(query)) == _answered(expected)
    # again, from the stored breakdowns
    assert _answered(scores.score_database(query)) == _answered(expected)


@pytest.mark.parametrize("where", WHERES)
def test_a_filtered_unit_tree_pools_only_the_matching_answers(
    place: dict[str, Any], where: tuple[tuple[str, str], ...]
) -> None:
    where = tuple((d, place["procedure"].code if v == "P-CODE" else v) for d, v in where)
    bulkload.insert_responses(_rows(place, _spread(600), seed=13))
    db.session.commit()
    today = scores.today_local()
    start = today - timedelta(days=45)
    dims = tuple(d for d, _v in where)
    by_dims = scores.score_database(Slice(start=start, end=today, by=("unit", *dims)))
    filtered = scores.score_database(Slice(start=start, end=today, by=("unit",), where=where))
    assert _answered(filtered) == _answered(_filtered(by_dims, where, dims))
    units = {g["group"]["unit"]: g["n"] for g in filtered}
    assert units.get("P", 0) == units.get("P.U1", 0) + units.get("P.U2", 0) > 0


def test_breakdowns_are_stored_per_half_month_and_read_without_answers(
    place: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from survey_app.models import StatsBucket

    bulkload.insert_responses(_rows(place, _spread(600), seed=14))
    db.session.commit()
    today = scores.today_local()
    query = Slice(
        start=today - timedelta(days=45), end=today, by=("unit",), where=(("channel", "truc_tiep"),)
    )
    first = scores.score_database(query)
    kinds = {(b.dimension, b.value) for b in db.session.scalars(select(StatsBucket))}
    # only the breakdown asked for, every channel of it (the marker's value is "")
    assert kinds == {("channel", ""), ("channel", "truc_tiep"), ("channel", "truc_tuyen_mot_phan")}
    read: list[tuple[date, date]] = []
    read_blocks = daystats.read

    def spy(first_day: date, last_day: date, *args: Any) -> daystats.Block:
        read.append((first_day, last_day))
        return read_blocks(first_day, last_day, *args)

    monkeypatch.setattr(daystats, "read", spy)
    assert scores.score_database(query) == first
    halves = {buckets.half_month(d) for d in (query.start, today)}
    assert read and all(buckets.half_month(a) in halves for a, _b in read)  # edges only


def test_a_bad_filter_is_refused() -> None:
    with pytest.raises(scores.ScoreError, match="where"):
        Slice(where=(("counter", "Q1"),))
    with pytest.raises(scores.ScoreError, match="where"):
        Slice(where=(("channel", "a"), ("channel", "b")))
