"""Indicators 5.4 and 5.2 of Quyết định 766/QĐ-TTg from the stored dossiers and complaints.

Definitions (docs/method.md §12.7): a dossier counts in the period of the local day its
result was returned (``returned_day``, any outcome); its timing is
:func:`survey_app.services.dossiers.rules.timing`'s, done here in SQL on the same local days
(late: returned after its due date; early: before; on time: on it).  A dossier has **a
complaint or a dislike** when its verified response (``responses.dossier_id``) was marked as
a complaint that was not withdrawn, or is a dislike (:func:`is_dislike`).  By ``unit`` a
dossier counts for its **resolving** unit, by ``counter`` for its receiving counter, by
``procedure`` for its procedure code.  5.2 counts complaints by their own unit.

Three reads, none row by row over the dossiers: one ``GROUP BY`` over the period's dossiers
— by unit from the index ``ix_dossiers_resolving_returned_due`` alone (resolving unit,
returned day, due date, apology letter: one range per unit, asked with the list of units
even when every unit is wanted, so that SQLite seeks instead of scanning) —, the verified
responses of those dossiers with their answers (one per answering citizen), and the period's
complaints.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Text, and_, case, cast, func, or_, select

import forms
from forms import SectionKind
from scoring.measures import (
    ComplaintTimeliness,
    DossierMeasure,
    complaint_timeliness,
    dossier_measure,
)
from survey_app.extensions import db
from survey_app.models import Counter, Procedure, Response, Unit
from survey_app.models.complaints import Complaint
from survey_app.models.dossiers import Dossier
from survey_app.services.clock import VN_TZ
from survey_app.services.complaints import stats as complaint_stats
from survey_app.services.errors import InputError

BY = ("unit", "procedure", "counter")
DISLIKE_BELOW = 2.5  # a respondent's mean satisfaction answer under this rounds to 1 or 2


class IndicatorError(InputError):
    """A request the measures cannot answer (a bad grouping); the message says why."""


@dataclass(frozen=True)
class IndicatorRow:
    """One group's figures: its key (unit, procedure or counter code; a counter also names
    its unit), 5.4 with the counts behind it, 5.2 (by unit and for the whole only) and the
    percentage points this group takes off the whole's 5.4 rate."""

    code: str
    name: str
    unit_code: str
    measure: DossierMeasure
    complaints: ComplaintTimeliness | None
    rate_removed: float | None

    def as_dict(self) -> dict[str, Any]:
        m, c = self.measure, self.complaints
        return {
            "code": self.code,
            "name": self.name,
            "unit": self.unit_code,
            "returned": m.resolved,
            "early": m.early,
            "on_time": m.on_time,
            "late": m.late,
            "late_share": m.late_share,
            "with_complaint": m.with_complaint,
            "complaint_share": m.complaint_share,
            "late_with_apology": m.late_with_apology,
            "apology_share": m.apology_share,
            "rate_5_4": m.rate,
            "points_5_4": m.points,
            "max_points_5_4": m.max_points,
            "points_lost_5_4": m.points_lost,
            "rate_removed": self.rate_removed,
            "complaints": c.complaints if c else None,
            "complaints_on_time": c.on_time if c else None,
            "rate_5_2": c.rate if c else None,
            "points_5_2": c.points if c else None,
            "max_points_5_2": c.max_points if c else None,
        }


@dataclass(frozen=True)
class Indicators:
    """The figures of one period: the groups, the groups that cost the most points first,
    and the whole (every dossier and complaint in scope)."""

    start: date
    end: date
    by: str
    rows: tuple[IndicatorRow, ...]
    whole: IndicatorRow


def max_points() -> tuple[float, float]:
    """The maxima of 5.4 and 5.2 (settings ``SIPAS_INDICATOR_5_4_MAX_POINTS``, ``…5_2…``)."""
    config = current_app.config
    return float(config["INDICATOR_5_4_MAX_POINTS"]), float(config["INDICATOR_5_2_MAX_POINTS"])


@cache
def _satisfaction(qid: str) -> tuple[str, ...]:
    try:
        return tuple(forms.get(qid).codes_of(SectionKind.FACTOR))
    except (KeyError, ValueError):
        return ()


def is_dislike(qid: str, answers: Mapping[str, Any]) -> bool:
    """A "dislike" (766's "không hài lòng"): the mean of the respondent's satisfaction
    answers (1–5, factor items) is under 2.5 — it rounds to 1 or 2; a single rating of 1 or
    2 (a kiosk's quick questionnaire) is one, a 3 is not. No satisfaction answer: not one."""
    values = [v for code in _satisfaction(qid) if isinstance(v := answers.get(code), int) and v > 0]
    return bool(values) and sum(values) / len(values) < DISLIKE_BELOW


def _key_columns(by: str) -> tuple[Any, ...]:
    d = Dossier.__table__.c
    if by == "unit":
        return (d.resolving_unit_id,)
    if by == "procedure":
        return (d.procedure_code,)
    return (d.receiving_unit_id, d.receiving_counter_id)


def _scope_column(by: str) -> Any:
    d = Dossier.__table__.c
    return d.receiving_unit_id if by == "counter" else d.resolving_unit_id


def _period_filter(start: date, end: date) -> Any:
    d = Dossier.__table__.c
    return and_(d.returned_day >= start, d.returned_day <= end)


def _unit_list(scope: Collection[int] | None) -> list[int]:
    """The units asked for — every unit for ``None``: a list lets the databases seek one
    range of the index per unit instead of scanning the whole table."""
    if scope is None:
        return list(db.session.scalars(select(Unit.id).order_by(Unit.id)))
    return sorted(scope)


def _dossier_counts(
    start: date, end: date, by: str, scope: Collection[int] | None
) -> dict[tuple[Any, ...], tuple[int, int, int, int]]:
    """(early, on time, late, late with an apology letter) per group key."""
    d = Dossier.__table__.c
    keys = _key_columns(by)
    late = d.returned_day > d.due_date
    query = (
        select(
            *keys,
            func.count(),
            func.sum(case((d.returned_day < d.due_date, 1), else_=0)),
            func.sum(case((late, 1), else_=0)),
            func.sum(case((and_(late, d.apology_sent), 1), else_=0)),
        )
        .where(_period_filter(start, end))
        .group_by(*keys)
    )
    query = query.where(_scope_column(by).in_(_unit_list(scope)))
    out = {}
    for *key, n, early, late_n, apology in db.session.execute(query):
        early, late_n, apology = int(early or 0), int(late_n or 0), int(apology or 0)
        out[tuple(key)] = (early, int(n) - early - late_n, late_n, apology)
    return out


@cache
def _all_satisfaction_codes() -> tuple[str, ...]:
    """Every questionnaire's satisfaction items (a response holds its own version's only)."""
    return tuple(sorted({c for qid in forms.load_all() for c in _satisfaction(qid)}))


def _dislike_clause() -> Any:
    """:func:`is_dislike` in SQL, on both databases: the mean answer ``m`` of ``k`` answers
    is under 2.5 exactly when ``Σ (2v − 5) < 0`` over the answers ``v`` (a sum below 0 needs
    at least one answer), one JSON look-up per item and no row read in Python."""
    answers = Response.__table__.c.answers
    # First a cheap test of the stored text: without an answer of 1 or 2 (``"A1": 2`` as
    # SQLAlchemy writes it, or ``"A1":2``) a response cannot be a dislike, and the JSON of
    # most responses is never looked into.
    text = cast(answers, Text)
    low = or_(*(text.like(f"%:{gap}{v}%") for v in (1, 2) for gap in ("", " ")))
    terms = [
        func.coalesce(func.nullif(answers[code].as_integer(), 0) * 2 - 5, 0)
        for code in _all_satisfaction_codes()
    ]
    total: Any = terms[0]
    for term in terms[1:]:
        total = total + term
    return and_(low, total < 0)


def _flagged(
    start: date, end: date, by: str, scope: Collection[int] | None
) -> dict[tuple[Any, ...], int]:
    """Dossiers with a complaint or a dislike per group key (each dossier once: one verified
    response per dossier, one complaint per response), counted by the database."""
    d = Dossier.__table__.c
    r = Response.__table__.c
    c = Complaint.__table__.c
    keys = _key_columns(by)
    query = (
        select(*keys, func.count())
        .select_from(Response.__table__)
        .join(Dossier.__table__, d.id == r.dossier_id)
        .outerjoin(Complaint.__table__, and_(c.response_id == r.id, c.status != "da_rut"))
        .where(_period_filter(start, end), _scope_column(by).in_(_unit_list(scope)))
        .where(or_(c.id.is_not(None), _dislike_clause()))
        .group_by(*keys)
    )
    return {tuple(key): int(n) for *key, n in db.session.execute(query)}


def _complaint_counts(
    start: date, end: date, scope: Collection[int] | None, now: datetime
) -> dict[int, tuple[int, int]]:
    """(complaints counted, answered on time) per unit, from the complaint workflow's own
    deadlines (``complaints.on_time``: the complaints that fell due in the period, due in
    working days; one still unanswered counts once it is overdue, not before)."""
    first = datetime.combine(start, time(), VN_TZ)
    after = datetime.combine(end + timedelta(days=1), time(), VN_TZ)
    found = complaint_stats.on_time(_unit_list(scope), first, after, now)
    return {u: (t.due, t.answered_on_time) for u, t in found.items() if t.due}


def _labels(by: str) -> dict[tuple[Any, ...], tuple[str, str, str]]:
    """Group key → (code, name, unit code)."""
    units = {u.id: (u.code, u.name) for u in db.session.scalars(select(Unit))}
    if by == "unit":
        return {(i,): (code, name, code) for i, (code, name) in units.items()}
    if by == "procedure":
        return {(p.code,): (p.code, p.name, "") for p in db.session.scalars(select(Procedure))}
    out: dict[tuple[Any, ...], tuple[str, str, str]] = {}
    for counter in db.session.scalars(select(Counter)):
        code, name = units.get(counter.unit_id, ("", ""))
        out[(counter.unit_id, counter.id)] = (counter.code, f"{name} · {counter.name}", code)
    for i, (code, name) in units.items():
        out[(i, None)] = ("", name, code)
    return out


def compute(
    start: date,
    end: date,
    by: str = "unit",
    scope: Collection[int] | None = None,
    *,
    now: datetime | None = None,
) -> Indicators:
    """Indicators 5.4 and 5.2 of the dossiers returned from ``start`` to ``end`` (local
    days, inclusive) per ``by`` group, within the units ``scope`` (``None``: every unit),
    the groups that cost the whole the most points of 5.4 first."""
    if by not in BY:
        raise IndicatorError(_("--by: dùng một trong %(names)s", names=", ".join(BY)))
    max_54, max_52 = max_points()
    counts = _dossier_counts(start, end, by, scope)
    flagged = _flagged(start, end, by, scope)
    complaints = _complaint_counts(start, end, scope, now or datetime.now(UTC))
    labels = _labels(by)
    keys = set(counts) | set(flagged) | ({(u,) for u in complaints} if by == "unit" else set())
    total = sum(sum(v[:3]) for v in counts.values())
    rows = []
    for key in keys:
        early, on_time, late, apology = counts.get(key, (0, 0, 0, 0))
        measure = dossier_measure(
            early, on_time, late, flagged.get(key, 0), apology, max_points=max_54
        )
        timely = None
        if by == "unit":
            n, in_time = complaints.get(key[0], (0, 0))
            timely = complaint_timeliness(n, in_time, max_points=max_52)
        removed = 100.0 * (late + measure.with_complaint) / total if total else None
        code, name, unit_code = labels.get(key, (str(key[-1] or ""), str(key[-1] or ""), ""))
        rows.append(IndicatorRow(code, name, unit_code, measure, timely, removed))
    rows.sort(key=lambda r: (-(r.rate_removed or 0.0), -_complaints_late(r), r.unit_code, r.code))
    sums = [sum(v[i] for v in counts.values()) for i in range(4)]
    whole_measure = dossier_measure(
        sums[0], sums[1], sums[2], sum(flagged.values()), sums[3], max_points=max_54
    )
    whole_complaints = complaint_timeliness(
        sum(n for n, _t in complaints.values()),
        sum(t for _n, t in complaints.values()),
        max_points=max_52,
    )
    whole = IndicatorRow(
        "",
        "",
        "",
        whole_measure,
        whole_complaints,
        100.0 - whole_measure.rate if whole_measure.rate is not None else None,
    )
    return Indicators(start, end, by, tuple(rows), whole)


def _complaints_late(row: IndicatorRow) -> int:
    c = row.complaints
    return c.complaints - c.on_time if c else 0
