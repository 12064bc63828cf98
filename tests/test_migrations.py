"""Migration 0010 on a database with data: down to 0009 and up again keeps every response
and every score; the derived tables are rebuilt from the responses when first needed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask

from survey_app.extensions import db
from survey_app.services.analytics import scores
from survey_app.services.storage import bulkload, daystats
from survey_app.services.storage.schema import alembic_config

from . import daystats_check
from .factories import make_counter, make_unit, seed_questionnaires


def _tables() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def test_day_blocks_migrate_down_and_up_with_data(app: Flask) -> None:
    from alembic import command

    seed_questionnaires()
    unit = make_unit("U1")
    counter = make_counter(unit, "Q1")
    first = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    rows = [
        {
            "questionnaire_id": "sipas-2024-dv",
            "unit_id": unit.id,
            "counter_id": counter.id if i % 3 else None,
            "procedure_id": None,
            "target_group": "chung",
            "channel": ["truc_tiep", None][i % 2],
            "submitted_at": first + timedelta(hours=5 * i),
            "local_day": (first + timedelta(hours=5 * i + 7)).date(),
            "answers": {"A1": 1 + i % 5, "C2": 1 + (i * 2) % 5},
            "comment": None,
            "source": "paper",
            "idempotency_key": None,
            "receipt_hash": None,
        }
        for i in range(200)
    ]
    bulkload.insert_responses(rows)
    db.session.commit()
    query = scores.Slice(
        start=first.date(),
        end=first.date() + timedelta(days=60),
        by=("unit", "month"),
        where=(("channel", "truc_tiep"),),
    )
    whole = scores.Slice(start=query.start, end=query.end, by=("unit", "month"))
    before = scores.score_database(query)
    before_whole = scores.score_database(whole)
    assert sum(g["n"] for g in before) == 100
    assert sum(g["n"] for g in before_whole) == 200
    db.session.remove()

    command.downgrade(alembic_config(), "0009")
    assert "day_stats" in _tables() and "day_blocks" not in _tables()
    with db.engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM responses")) == 200
        kept = conn.scalar(sa.text("SELECT count(*) FROM stats_buckets"))
        # 1 March – 11 April: the markers of four closed half-months and a cell for each of
        # the three with responses; the channel breakdowns were dropped
        assert kept == 4 + 3
    command.upgrade(alembic_config(), "head")
    assert "day_blocks" in _tables() and "day_stats" not in _tables()

    assert scores.score_database(query) == before  # blocks packed again from the answers
    assert scores.score_database(whole) == before_whole
    assert daystats.stored_days([first.date() + timedelta(days=1)])
    assert daystats_check.assert_stored_days_match_the_responses()
