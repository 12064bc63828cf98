"""Bulk loading: responses, day blocks equal to the responses, explicit ids, stale buckets
dropped."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import Response, StatsBucket
from survey_app.models.responses import DayBlock
from survey_app.services.clock import local_day
from survey_app.services.storage import bulkload

from .. import daystats_check
from ..factories import (
    all_responses,
    make_counter,
    make_procedure,
    make_unit,
    seed_questionnaires,
)


def _row(
    unit_id: int, counter_id: int | None, moment: datetime, answers: dict[str, int], **kw: Any
) -> dict[str, Any]:
    return {
        "questionnaire_id": "sipas-2024-dv",
        "unit_id": unit_id,
        "counter_id": counter_id,
        "procedure_id": None,
        "target_group": "chung",
        "channel": "truc_tiep",
        "submitted_at": moment,
        "local_day": local_day(moment),
        "answers": answers,
        "comment": None,
        "source": "paper",
        "idempotency_key": None,
        "receipt_hash": None,
        **kw,
    }


@pytest.fixture
def place(app: Flask) -> dict[str, int]:
    seed_questionnaires()
    unit = make_unit("U1")
    counter = make_counter(unit, "Q1")
    proc = make_procedure(unit)
    return {"unit": unit.id, "counter": counter.id, "procedure": proc.id}


def _rows(place: dict[str, int], n: int, first: datetime) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        moment = first + timedelta(hours=7 * i)
        answers = {"A1": 1 + i % 5, "C1": 1 + (i * 3) % 5}
        if i % 3:
            answers["Q5"] = 1 + i % 2
        rows.append(
            _row(
                place["unit"],
                place["counter"] if i % 4 else None,
                moment,
                answers,
                channel=None if i % 5 == 0 else "truc_tiep",
                procedure_id=place["procedure"] if i % 2 else None,
                target_group="dat_dai_xay_dung_dau_tu" if i % 2 else "chung",
                comment="Cảm ơn" if i % 7 == 0 else None,
            )
        )
    return rows


def _days_match() -> set[date]:
    """Every stored day equals its recomputation from the responses; returns those days."""
    return daystats_check.assert_stored_days_match_the_responses()


def test_bulk_loaded_day_statistics_equal_a_recount(place: dict[str, int]) -> None:
    first = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    assert bulkload.insert_responses(_rows(place, 120, first)) == 120
    db.session.commit()
    # A second load into the same days adds to the same cells.
    assert bulkload.insert_responses(_rows(place, 50, first + timedelta(minutes=5))) == 50
    db.session.commit()
    stored = all_responses()
    assert len(stored) == 170
    # Every day of the load is closed and was empty: each is stored, equal to a recount.
    assert _days_match() == {r.local_day for r in stored}
    assert stored[0].answers == {"A1": 1, "C1": 1}
    assert stored[0].submitted_at == first
    assert stored[0].comment == "Cảm ơn"
    assert stored[1].channel == "truc_tiep" and stored[0].channel is None


def test_explicit_ids_are_kept_and_later_ids_follow(place: dict[str, int]) -> None:
    first = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    rows = _rows(place, 3, first)
    for row, wanted in zip(rows, (1000, 1005, 1002), strict=True):
        row["id"] = wanted
    rows.append(_row(place["unit"], None, first, {"A1": 5}))  # no id: the database picks
    bulkload.insert_responses(rows)
    db.session.commit()
    ids = [r.id for r in all_responses()]
    assert ids[:3] == [1000, 1002, 1005] and ids[3] > 1005
    assert _days_match() == {r.local_day for r in all_responses()}
    db.session.add(Response(**_row(place["unit"], None, first, {"A1": 4})))
    db.session.commit()  # the id sequence was moved past the explicit ids
    assert max(r.id for r in all_responses()) > ids[3]


def test_nothing_is_committed_by_the_loader(place: dict[str, int]) -> None:
    bulkload.insert_responses(_rows(place, 10, datetime(2026, 3, 1, tzinfo=UTC)))
    db.session.rollback()
    assert db.session.scalar(select(func.count(Response.id))) == 0
    assert db.session.scalar(select(func.count(DayBlock.id))) == 0


def test_stored_half_months_of_touched_days_are_forgotten(place: dict[str, int]) -> None:
    for start in (date(2026, 3, 1), date(2026, 3, 15), date(2026, 4, 1)):
        db.session.add(
            StatsBucket(
                period_start=start, unit_id=0, target_group="", questionnaire_id="", n=0, stats=b""
            )
        )
    db.session.commit()
    bulkload.insert_responses(_rows(place, 4, datetime(2026, 3, 20, tzinfo=UTC)))
    db.session.commit()
    left = set(db.session.scalars(select(StatsBucket.period_start)))
    assert left == {date(2026, 3, 1), date(2026, 4, 1)}


def test_naive_times_are_refused(place: dict[str, int]) -> None:
    rows = _rows(place, 1, datetime(2026, 3, 1, tzinfo=UTC))
    rows[0]["submitted_at"] = datetime(2026, 3, 1)
    with pytest.raises(ValueError, match="aware"):
        bulkload.insert_responses(rows)
    db.session.rollback()


def test_columns_store_what_the_row_dicts_store(place: dict[str, int]) -> None:
    """insert_columns (numpy columns, answer matrix, days as datetime64) stores the same
    responses and day blocks as insert_responses of the same rows."""
    import numpy as np

    from survey_app.services.storage import daystats
    from survey_app.services.storage.bulkload import Columns, Text

    rows = _rows(place, 40, datetime(2026, 3, 1, 2, 0, tzinfo=UTC))
    bulkload.insert_responses(rows)
    db.session.commit()
    by_dicts = [
        (
            r.unit_id,
            r.counter_id,
            r.procedure_id,
            r.target_group,
            r.channel,
            r.submitted_at,
            r.local_day,
            r.answers,
            r.comment,
            r.source,
        )
        for r in all_responses()
    ]
    stats = daystats_check.stored()
    db.session.execute(Response.__table__.delete())
    db.session.execute(DayBlock.__table__.delete())
    db.session.commit()

    cols = Columns(
        questionnaire=Text.of(r["questionnaire_id"] for r in rows),
        unit_id=np.array([r["unit_id"] for r in rows]),
        counter_id=np.array([r["counter_id"] or 0 for r in rows]),
        procedure_id=np.array([r["procedure_id"] or 0 for r in rows]),
        target_group=Text.of(r["target_group"] for r in rows),
        channel=Text.of(r["channel"] or "" for r in rows),
        submitted_at=np.array(
            [r["submitted_at"].replace(tzinfo=None) for r in rows], dtype="datetime64[us]"
        ),
        local_day=np.array([r["local_day"] for r in rows], dtype="datetime64[D]"),
        answers=daystats.answer_matrix([r["answers"] for r in rows]),
        source=Text.of(r["source"] for r in rows),
        comment=[r["comment"] for r in rows],
    )
    assert bulkload.insert_columns(cols) == 40
    db.session.commit()
    by_columns = [
        (
            r.unit_id,
            r.counter_id,
            r.procedure_id,
            r.target_group,
            r.channel,
            r.submitted_at,
            r.local_day,
            r.answers,
            r.comment,
            r.source,
        )
        for r in all_responses()
    ]
    assert by_columns == by_dicts
    assert daystats_check.stored() == stats
    bad = Columns(**{**cols.__dict__, "answers": cols.answers[:, :3]})
    with pytest.raises(ValueError, match="int8 matrix"):
        bulkload.insert_columns(bad)


def test_blocks_read_in_chunks_hold_what_one_read_holds(place: dict[str, int]) -> None:
    from survey_app.services.storage import daystats

    rows = _rows(place, 90, datetime(2026, 3, 1, 2, 0, tzinfo=UTC))
    other = make_unit("U2").id
    for row in rows[::3]:
        row.update(unit_id=other, counter_id=None)
    bulkload.insert_responses(rows)
    db.session.commit()
    blocks, _markers = daystats_check.stored()
    assert len(blocks) > 2 and {u for _d, u in blocks} == {place["unit"], other}
    first, last = min(d for d, _u in blocks), max(d for d, _u in blocks)
    whole = daystats.read(first, last, None)
    parts = list(daystats.read_chunks(first, last, None, size=2))
    assert len(parts) == (len(blocks) + 1) // 2
    assert (
        sorted(daystats_check._rows(daystats.Block.concat(parts)))
        == sorted(daystats_check._rows(whole))
        == sorted(r for rs in blocks.values() for r in rs)
    )
    assert whole.n == 90
    unit = place["unit"]
    mine = daystats.read(first, last, [unit])
    assert mine.n == sum(1 for r in rows if r["unit_id"] == unit) == 60
    assert set(mine.unit_id.tolist()) == {unit}
