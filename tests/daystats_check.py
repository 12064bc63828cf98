"""What the pages read instead of the responses: the stored day blocks, checked against them.

Each stored day's blocks (``day_blocks``), decoded, must hold exactly that day's responses
per unit — the same counter, procedure, target group, channel, questionnaire and answers —
and its marker row the day's number of responses.  Rows are compared as sorted tuples, so
the order in which a writer packed them does not matter.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import select

import forms
from survey_app.extensions import db
from survey_app.models import Response
from survey_app.models.responses import DayBlock
from survey_app.services.storage import daystats

Row = tuple[Any, ...]  # unit, counter (0), procedure (0), target group, channel (""),
# questionnaire, answers as sorted (code, value) pairs, verified (issue 13)


def _rows(block: daystats.Block) -> list[Row]:
    codes = forms.all_item_codes()
    return [
        (
            int(block.unit_id[i]),
            int(block.counter_id[i]),
            int(block.procedure_id[i]),
            block.groups[block.group[i]],
            block.channels[block.channel[i]],
            block.questionnaires[block.questionnaire[i]],
            tuple((codes[j], int(v)) for j, v in enumerate(block.answers[i].tolist()) if v),
            bool(block.verified[i]),
        )
        for i in range(block.n)
    ]


def row_of(r: Response) -> Row:
    return (
        r.unit_id,
        r.counter_id or 0,
        r.procedure_id or 0,
        r.target_group,
        r.channel or "",
        r.questionnaire_id,
        tuple(sorted(r.answers.items(), key=lambda kv: forms.all_item_codes().index(kv[0]))),
        r.dossier_id is not None,
    )


def stored() -> tuple[dict[tuple[date, int], list[Row]], dict[date, int]]:
    """(blocks, markers) as stored: (day, unit) → its responses' rows, sorted, and day →
    marker ``n``."""
    blocks: dict[tuple[date, int], list[Row]] = {}
    markers: dict[date, int] = {}
    for s in db.session.scalars(select(DayBlock)):
        if s.unit_id == 0:
            markers[s.day] = s.n
            continue
        block = daystats.unpack([(s.day, s.unit_id, s.n, s.layout, s.data)])
        assert block.n == s.n
        assert {int(d) for d in block.day} == {s.day.toordinal()}
        assert (s.day, s.unit_id) not in blocks  # one block per unit and day
        blocks[(s.day, s.unit_id)] = sorted(_rows(block))
    return blocks, markers


def recomputed(
    days: set[date] | None = None,
) -> tuple[dict[tuple[date, int], list[Row]], dict[date, int]]:
    """The same, from the responses of ``days`` (``None``: every day)."""
    blocks: dict[tuple[date, int], list[Row]] = defaultdict(list)
    markers: dict[date, int] = defaultdict(int)
    for r in db.session.scalars(select(Response)):
        if days is None or r.local_day in days:
            blocks[(r.local_day, r.unit_id)].append(row_of(r))
            markers[r.local_day] += 1
    return {key: sorted(rows) for key, rows in blocks.items()}, dict(markers)


def assert_stored_days_match_the_responses() -> set[date]:
    """Every stored day equals the responses of that day; returns the stored days."""
    blocks, markers = stored()
    assert {day for day, _unit in blocks} <= set(markers)
    again_blocks, again_markers = recomputed(set(markers))
    assert markers == {d: again_markers.get(d, 0) for d in markers}
    assert blocks == again_blocks
    return set(markers)


def open_day(day: date) -> list[Row]:
    """The open ``day``'s responses as the pages read them (every unit), sorted."""
    return sorted(_rows(daystats.open_block(day, None)))
