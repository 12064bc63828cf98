"""The response file of METHOD §7: export (and, later, import) in one shared column layout."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, date
from pathlib import Path
from typing import IO

from sqlalchemy import select

import forms

from ..extensions import db
from ..models import Counter, Procedure, Response, Unit

META_COLUMNS = ("response_id", "submitted_at", "unit_code", "counter_code", "procedure_code",
                "target_group", "channel", "questionnaire", "source")


def columns() -> tuple[str, ...]:
    """Header of the response file: metadata, one column per item code, then ``comment``."""
    return (*META_COLUMNS, *forms.all_item_codes(), "comment")


def _rows(start: date | None, end: date | None,
          unit_ids: list[int] | None) -> Iterator[list[object]]:
    codes = forms.all_item_codes()
    query = (
        select(Response.id, Response.submitted_at, Unit.code, Counter.code, Procedure.code,
               Response.target_group, Response.channel, Response.questionnaire_id,
               Response.source, Response.answers, Response.comment)
        .join(Unit, Unit.id == Response.unit_id)
        .outerjoin(Counter, Counter.id == Response.counter_id)
        .outerjoin(Procedure, Procedure.id == Response.procedure_id)
        .order_by(Response.id)
    )
    if start is not None:
        query = query.where(Response.local_day >= start)
    if end is not None:
        query = query.where(Response.local_day <= end)
    if unit_ids is not None:
        query = query.where(Response.unit_id.in_(unit_ids))
    for (rid, at, unit, counter, proc, group, channel, qid, source, answers,
         comment) in db.session.execute(query.execution_options(yield_per=5000)):
        stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        yield [rid, stamp, unit, counter or "", proc or "", group, channel or "", qid, source,
               *(answers.get(c, "") for c in codes), comment or ""]


def write_csv(out: IO[str], start: date | None = None, end: date | None = None,
              unit_ids: list[int] | None = None) -> int:
    """Write the response file to ``out``; returns the number of responses written."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns())
    count = 0
    for row in _rows(start, end, unit_ids):
        writer.writerow(row)
        count += 1
    return count


def export_file(path: Path, start: date | None = None, end: date | None = None,
                unit_ids: list[int] | None = None) -> int:
    """Export to a UTF-8 CSV file with a BOM (so Excel shows Vietnamese correctly)."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        return write_csv(fh, start, end, unit_ids)
