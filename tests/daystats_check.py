"""What replaced the per-day counts: the stored per-day statistics, checked against the answers.

Each stored day's cells (``day_stats``) must equal statistics computed here, independently
of the writers, from the day's responses one cell at a time; its marker row must hold the
day's number of responses.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import select

from scoring import SufficientStats
from survey_app.extensions import db
from survey_app.models import Response
from survey_app.models.responses import DayStat
from survey_app.services import daystats
from survey_app.services.scores import structure_of


def stored() -> tuple[dict[tuple[Any, ...], list[int]], dict[date, int]]:
    """(cells, markers) as stored: (day, cell) → vector, and day → marker ``n``."""
    cells: dict[tuple[Any, ...], list[int]] = {}
    markers: dict[date, int] = {}
    for s in db.session.scalars(select(DayStat)):
        if s.unit_id == 0:
            markers[s.day] = s.n
        else:
            cell = (s.unit_id, s.counter_id, s.procedure_id, s.target_group, s.channel,
                    s.questionnaire_id)
            vector = np.frombuffer(s.stats, dtype="<i4").tolist()
            assert vector[0] == s.n
            cells[(s.day, cell)] = vector
    return cells, markers


def cell_of(r: Response) -> tuple[Any, ...]:
    return (r.unit_id, r.counter_id or 0, r.procedure_id or 0, r.target_group,
            r.channel or "", r.questionnaire_id)


def recomputed(days: set[date] | None = None) -> tuple[dict[tuple[Any, ...], list[int]],
                                                      dict[date, int]]:
    """The same, computed from the responses of ``days`` (``None``: every day)."""
    groups: dict[tuple[Any, ...], list[dict[str, int]]] = defaultdict(list)
    markers: dict[date, int] = defaultdict(int)
    for r in db.session.scalars(select(Response)):
        if days is None or r.local_day in days:
            groups[(r.local_day, cell_of(r))].append(r.answers)
            markers[r.local_day] += 1
    cells = {}
    for key, answers in groups.items():
        structure = structure_of(key[1][5])
        matrix = np.array([[a.get(c, 0) for c in structure.columns] for a in answers],
                          dtype=np.int8)
        cells[key] = SufficientStats.from_answers(structure, matrix).to_vector().tolist()
    return cells, dict(markers)


def assert_stored_days_match_the_responses() -> set[date]:
    """Every stored day equals its recomputation; returns the stored days."""
    cells, markers = stored()
    assert {day for day, _cell in cells} <= set(markers)
    again_cells, again_markers = recomputed(set(markers))
    assert markers == {d: again_markers.get(d, 0) for d in markers}
    assert cells == again_cells
    return set(markers)


def open_day(day: date) -> dict[tuple[Any, ...], list[int]]:
    """The open ``day``'s cells as the pages read them (every unit)."""
    return {cell: np.frombuffer(blob, dtype="<i4").tolist()
            for _day, cell, blob in daystats.open_cells(day, None)}


def answer_counts(qid: str, vector: list[int]) -> dict[tuple[str, int], int]:
    """(item, value) → respondents, from a cell's vector (every item of the questionnaire)."""
    structure = structure_of(qid)
    stats = SufficientStats.from_vector(structure, np.array(vector, dtype=np.int64))
    out = {}
    for codes, counts in ((structure.items, stats.counts),
                          (structure.expectation, stats.expectation_counts),
                          (structure.integrity, stats.integrity_counts)):
        for j, code in enumerate(codes):
            for v in range(counts.shape[1]):
                if counts[j, v]:
                    out[(code, v + 1)] = int(counts[j, v])
    return out
