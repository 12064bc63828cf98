"""Trust signals per counter and day for inspectors, and their exclusions (issue 14).

The figures (``scoring.trust``): open responses per dossier served (over 1 is suspicious),
bursts of one client hash (``TRUST_BURST_MIN`` submissions within ``TRUST_BURST_SECONDS``),
the share of top ratings in bursts against outside them, submissions outside the unit's
opening hours (``units.opening_hours`` or ``KIOSK_OPENING_HOURS``; closed on holidays) and
the open − verified SIPAS gap with its 95 % interval (the stored scores, by counter and day).

Exclusions (an inspector's, reversible) live in :mod:`.exclusions`; a counter-day shows how
many of its responses are excluded and which exclusion covers it or its bursts.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import func, select

import forms
from scoring import Estimate
from scoring.trust import (
    Gap,
    TopShares,
    find_bursts,
    gap,
    more_open_than_served,
    open_per_served,
)
from scoring.trust import top_shares as make_top_shares
from survey_app.extensions import db
from survey_app.models import Counter, Dossier, Response, User
from survey_app.models.trust import Exclusion
from survey_app.services.access.capabilities import Capability, roles_with
from survey_app.services.access.scope import role_unit_ids, units_among
from survey_app.services.analytics.office import Filters
from survey_app.services.analytics.scores import Slice, score_stored
from survey_app.services.analytics.slices import RESPONSES
from survey_app.services.org import holidays as org_holidays
from survey_app.services.workdays import unit_opening_hours

TOP = 5
ROW_LIMIT = 500


def settings() -> tuple[int, float]:
    """(``TRUST_BURST_MIN``, ``TRUST_BURST_SECONDS``)."""
    config = current_app.config
    return int(config["TRUST_BURST_MIN"]), float(config["TRUST_BURST_SECONDS"])


def _scope(user: User) -> set[int] | None:
    return role_unit_ids(user, roles_with(Capability.VIEW_INTEGRITY))


# --- figures --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BurstLine:
    client: str  # the client hash (shown shortened)
    first_at: datetime
    last_at: datetime
    size: int
    top: int
    exclusion_id: int | None  # the active exclusion covering it


@dataclass(frozen=True)
class CounterDay:
    unit_code: str
    unit_name: str
    counter_id: int
    counter_code: str
    counter_name: str
    day: date
    served: int
    open: int
    verified: int
    excluded: int
    ratio: float | None
    bursts: tuple[BurstLine, ...]
    top: TopShares
    outside_hours: int
    gap: Gap | None
    exclusion_id: int | None  # an active counter-day exclusion
    dossiers_known: bool = True  # the counter returned dossiers in the period

    @property
    def in_bursts(self) -> int:
        return sum(b.size for b in self.bursts)

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why it is suspicious: ``ratio``, ``bursts``, ``hours`` (empty: nothing seen)."""
        out = []
        if more_open_than_served(self.open, self.served, self.dossiers_known):
            out.append("ratio")
        if self.bursts:
            out.append("bursts")
        if self.outside_hours:
            out.append("hours")
        return tuple(out)

    @property
    def suspicious(self) -> bool:
        return bool(self.reasons)


def _top_codes() -> dict[str, tuple[str, ...]]:
    return {
        q.id: tuple(c for codes in q.factors().values() for c in codes)
        for q in forms.load_all().values()
    }


def is_top(answers: Mapping[str, int], codes: Iterable[str]) -> bool:
    """Every factor item answered is 5 (at least one answered)."""
    given = [answers[c] for c in codes if answers.get(c) is not None]
    return bool(given) and all(v == TOP for v in given)


def _gaps(filters: Filters, roots: list[str] | None) -> dict[tuple[str, str, str], Gap]:
    """(unit code, counter code, ISO day) → open − verified SIPAS gap."""

    def groups(kind: str) -> dict[tuple[str, str, str], Estimate]:
        out: dict[tuple[str, str, str], Estimate] = {}
        for root in roots if roots is not None else [None]:
            for g in score_stored(
                Slice(
                    start=filters.start,
                    end=filters.end,
                    by=("counter", "day"),
                    unit_code=root,
                    where=RESPONSES[kind],
                )
            ):
                out[(g.key["unit"], g.key["counter"], str(g.key["day"]))] = g.sipas
        return out

    verified, open_ = groups("verified"), groups("open")
    return {k: gap(verified[k], open_[k]) for k in verified.keys() & open_.keys()}


def counter_days(user: User, filters: Filters, limit: int = ROW_LIMIT) -> list[CounterDay]:
    """Every counter-day of the inspector's scope in the period with responses, suspicious
    first (then by open per served, highest first), at most ``limit``."""
    ids = _scope(user)
    units = {u.id: u for u in units_among(ids)}
    if not units:
        return []
    burst_min, burst_seconds = settings()
    default_hours = str(current_app.config["KIOSK_OPENING_HOURS"])
    calendar = org_holidays.calendar()  # the admin's days off and make-up days
    hours = {
        uid: unit_opening_hours(u, default_hours).on(calendar.off, calendar.make_up)
        for uid, u in units.items()
    }
    top_codes = _top_codes()
    r = Response.__table__.c
    query = select(
        r.id,
        r.unit_id,
        r.counter_id,
        r.local_day,
        r.submitted_at,
        r.client_hash,
        r.dossier_id,
        r.exclusion_id,
        r.questionnaire_id,
        r.answers,
    ).where(r.local_day >= filters.start, r.local_day <= filters.end, r.counter_id.is_not(None))
    if ids is not None:
        query = query.where(r.unit_id.in_(ids))
    cells: dict[tuple[int, date], list[Any]] = defaultdict(list)
    for row in db.session.execute(query.order_by(r.submitted_at, r.id)):
        cells[(row.counter_id, row.local_day)].append(row)
    served = _served(ids, filters)
    with_dossiers = {c for c, _day in served}
    exclusions = _active(ids, filters)
    counters = {
        c.id: c
        for c in db.session.scalars(select(Counter).where(Counter.id.in_({k[0] for k in cells})))
    }
    roots = None if ids is None else [u.code for u in units.values() if u.parent_id not in ids]
    gaps = _gaps(filters, roots)
    out = []
    for (counter_id, day), rows in cells.items():
        counter = counters[counter_id]
        unit = units.get(counter.unit_id) or units[rows[0].unit_id]
        open_rows = [x for x in rows if x.dossier_id is None]
        tops = {
            x.id: is_top(_answers(x.answers), top_codes.get(x.questionnaire_id, ()))
            for x in open_rows
        }
        by_client: dict[str, list[Any]] = defaultdict(list)
        for x in open_rows:
            if x.client_hash:
                by_client[x.client_hash].append(x)
        bursts: list[BurstLine] = []
        in_burst: set[int] = set()
        for client, mine in sorted(by_client.items()):
            times = [_utc(x.submitted_at).timestamp() for x in mine]
            for b in find_bursts(times, burst_min, burst_seconds):
                part = mine[b.first : b.last + 1]
                in_burst.update(x.id for x in part)
                marks = {x.exclusion_id for x in part}
                bursts.append(
                    BurstLine(
                        client,
                        _utc(part[0].submitted_at),
                        _utc(part[-1].submitted_at),
                        b.size,
                        sum(tops[x.id] for x in part),
                        marks.pop() if len(marks) == 1 else None,
                    )
                )
        top_in = sum(tops[i] for i in in_burst)
        top_out = sum(v for i, v in tops.items() if i not in in_burst)
        n_served = served.get((counter_id, day), 0)
        out.append(
            CounterDay(
                unit_code=unit.code,
                unit_name=unit.name,
                counter_id=counter_id,
                counter_code=counter.code,
                counter_name=counter.name,
                day=day,
                served=n_served,
                open=len(open_rows),
                verified=len(rows) - len(open_rows),
                excluded=sum(1 for x in rows if x.exclusion_id is not None),
                ratio=open_per_served(len(open_rows), n_served),
                bursts=tuple(bursts),
                top=make_top_shares(top_in, len(in_burst), top_out, len(open_rows) - len(in_burst)),
                outside_hours=sum(
                    1 for x in rows if not hours[unit.id].open_at(_utc(x.submitted_at))
                ),
                gap=gaps.get((unit.code, counter.code, day.isoformat())),
                exclusion_id=exclusions.get((counter_id, day)),
                dossiers_known=counter_id in with_dossiers,
            )
        )
    out.sort(
        key=lambda c: (
            not c.suspicious,
            -(c.ratio if c.ratio is not None else (float("inf") if c.open else -1.0)),
            -c.in_bursts,
            -c.outside_hours,
            c.unit_code,
            c.counter_code,
            c.day,
        )
    )
    return out[:limit]


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _answers(raw: Any) -> dict[str, int]:
    return json.loads(raw) if isinstance(raw, str) else dict(raw or {})


def _served(ids: set[int] | None, filters: Filters) -> dict[tuple[int, date], int]:
    """(receiving counter, returned day) → dossiers returned."""
    query = (
        select(Dossier.receiving_counter_id, Dossier.returned_day, func.count(Dossier.id))
        .where(
            Dossier.returned_day >= filters.start,
            Dossier.returned_day <= filters.end,
            Dossier.receiving_counter_id.is_not(None),
        )
        .group_by(Dossier.receiving_counter_id, Dossier.returned_day)
    )
    if ids is not None:
        query = query.where(Dossier.receiving_unit_id.in_(ids))
    return {
        (int(c), d): int(n)
        for c, d, n in db.session.execute(query)
        if c is not None and d is not None
    }


def _active(ids: set[int] | None, filters: Filters) -> dict[tuple[int, date], int]:
    """(counter, day) → the active counter-day exclusion."""
    query = select(Exclusion.counter_id, Exclusion.day, Exclusion.id).where(
        Exclusion.kind == "quay_ngay",
        Exclusion.restored_at.is_(None),
        Exclusion.day >= filters.start,
        Exclusion.day <= filters.end,
    )
    if ids is not None:
        query = query.where(Exclusion.unit_id.in_(ids))
    return {(c, d): i for c, d, i in db.session.execute(query) if c is not None}
