"""Scoring a response file (METHOD §7, the ``sipas export`` format) without the database:
the file read column-wise (:func:`rows_from_file`), the slice's days kept, every group
scored as :mod:`.scores` scores the stored responses (:func:`score_columns`) — but without
a unit tree (a unit is only its own responses).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from flask_babel import gettext as _

from survey_app.services.analytics.groups import Accumulator, Groups, group_rows, score_groups
from survey_app.services.analytics.results import ScoredGroup, to_json
from survey_app.services.analytics.slices import EPOCH, Rows, ScoreError, Slice


def score_columns(rows: Rows, query: Slice) -> tuple[ScoredGroup, ...]:
    """Score responses given as columns (a response file): no unit tree, no database."""
    if "late" in query.dimensions:
        raise ScoreError(_("--by late cần hồ sơ trong cơ sở dữ liệu; tệp phản hồi không có"))
    mask = np.ones(rows.n, dtype=bool)
    if query.start is not None:
        mask &= rows.day >= (query.start - EPOCH).days
    if query.end is not None:
        mask &= rows.day <= (query.end - EPOCH).days
    if not mask.all():
        rows = rows.take(mask)
    rows = rows.matching(query.where)
    groups = Groups(keys=[])
    acc = Accumulator()
    acc.add_rows(rows, group_rows(rows, query.dimensions, query.cutoff, groups))
    end = query.end
    if end is None and rows.n:
        end = EPOCH + timedelta(days=int(rows.day.max()))
    return score_groups(acc, groups, query.dimensions, query, end)


def score_rows(rows: Rows, query: Slice) -> list[dict[str, Any]]:
    """:func:`score_columns` as JSON-ready dicts."""
    return to_json(score_columns(rows, query))


def rows_from_file(path: Path) -> Rows:
    """Read and check a response file (METHOD §7) column-wise; raises ``ResponseFileError``
    naming every bad cell by line and column."""
    from survey_app.services.exchange.answerfile import (
        read_answer_table,  # pyarrow: only when a file is scored
    )

    table = read_answer_table(path)
    text = {
        name: (column.codes, tuple(column.values))
        for name, column in (
            ("unit", table.unit),
            ("counter", table.counter),
            ("procedure", table.procedure),
            ("target_group", table.target_group),
            ("channel", table.channel),
            ("questionnaire", table.questionnaire),
        )
    }
    return Rows(day=table.local_day, text=text, answers=table.answers)
