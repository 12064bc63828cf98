"""A day's feedback for a staff member's scope: counts, indices, weakest items, comments,
low ratings, and a 30-day SIPAS trend.

Every query is scoped with :func:`~survey_app.services.access.scope.response_filter` (indices: the
same rule as unit and counter ids, :func:`scope_ids`); every index comes from ``scoring``
through :func:`~survey_app.services.analytics.scores.score_stored_scope`, from the day blocks
(:mod:`.daystats`: stored for closed days, kept per process for the open one), with no
second implementation of the arithmetic here.  Comments and low ratings read the newest
responses only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Row, case, func, null, select

import forms
from forms import SectionKind
from scoring import DEFAULT_MIN_N, Coverage, Estimate
from survey_app.extensions import db
from survey_app.models import Counter, Procedure, Response, Unit, User, utcnow
from survey_app.services.access.capabilities import Capability, can
from survey_app.services.access.scope import response_filter
from survey_app.services.analytics.coverage import attach as with_coverage
from survey_app.services.analytics.coverage import counts, coverage_for
from survey_app.services.analytics.lowratings import LowItem, low_items, low_words
from survey_app.services.analytics.results import ScoredGroup
from survey_app.services.analytics.scores import Slice, score_stored_scope
from survey_app.services.analytics.slices import RESPONSES
from survey_app.services.clock import VN_TZ, local_day
from survey_app.services.complaints import conduct_hidden
from survey_app.services.formatting import masked
from survey_app.services.org import subtree_ids

LATEST_COMMENTS = 20
LATEST_LOW = 20
WEAKEST_ITEMS = 3
WEAKEST_MIN_N = 5  # an item needs this many answers to be named among the weakest
TREND_DAYS = 30
MIN_N = DEFAULT_MIN_N  # below this: "chưa đủ dữ liệu"


@dataclass(frozen=True, slots=True)
class CounterScore:
    unit_name: str
    counter_name: str | None  # None: responses that name no counter
    n: int
    sipas: Estimate | None
    coverage: Coverage | None = None  # the counter's dossiers of the day (issue 14)


@dataclass(frozen=True, slots=True)
class Comment:
    id: int
    at: datetime  # local time (Asia/Ho_Chi_Minh)
    unit_name: str
    counter_name: str | None
    text: str


@dataclass(frozen=True, slots=True)
class LowRating:
    id: int
    at: datetime  # local time
    unit_name: str
    counter_name: str | None
    items: tuple[LowItem, ...]  # the items answered 1 or 2, in form order
    comment: str | None


@dataclass(frozen=True, slots=True)
class WeakItem:
    code: str
    text_vi: str
    text_en: str
    n: int
    index: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True, slots=True)
class Factor:
    code: str
    title_vi: str
    title_en: str


@dataclass(frozen=True, slots=True)
class Today:
    day: date
    total: int
    last_id: int
    scores: ScoredGroup | None  # the whole day; None: no response
    factors: list[Factor]
    counters: list[CounterScore]
    weakest: list[WeakItem]
    comments: list[Comment]
    low: list[LowRating]
    coverage: Coverage | None = None  # the scope's dossiers returned that day (issue 14)


def _scoped_day(
    user: User,
    day: date,
    after: int = 0,
    *,
    before: int | None = None,
    limit: int | None = None,
    commented: bool = False,
) -> list[Row[Any]]:
    """The day's responses within the user's scope (``id > after``), oldest first — or, with
    ``limit``, the newest ``limit`` before id ``before``, newest first (``commented``: only
    those with a comment); the comment is left out where it is a conduct complaint the user
    may not see.  Executed on the session's connection: plain rows, without the ORM's
    per-row bookkeeping."""
    query = (
        select(
            Response.id,
            Response.submitted_at,
            Response.local_day,
            Unit.code,
            Unit.name,
            Unit.place_name,
            Counter.code,
            Counter.name,
            Procedure.code,
            Response.target_group,
            Response.channel,
            Response.questionnaire_id,
            Response.answers,
            case((conduct_hidden(user), null()), else_=Response.comment).label("comment"),
        )
        .join(Unit, Unit.id == Response.unit_id)
        .outerjoin(Counter, Counter.id == Response.counter_id)
        .outerjoin(Procedure, Procedure.id == Response.procedure_id)
        .where(Response.local_day == day, Response.id > after, response_filter(user))
    )
    if commented:
        query = query.where(Response.comment.is_not(None))
    if limit is None:
        return list(db.session.connection().execute(query.order_by(Response.id)))
    if before is not None:
        query = query.where(Response.id < before)
    return list(db.session.connection().execute(query.order_by(Response.id.desc()).limit(limit)))


def _answers(raw: Any) -> dict[str, int]:
    return json.loads(raw) if isinstance(raw, str) else dict(raw or {})


def _comments(records: Sequence[Row[Any]], limit: int) -> list[Comment]:
    out = [
        Comment(r.id, r.submitted_at.astimezone(VN_TZ), r[4], r[7], masked(r.comment))
        for r in reversed(records)
        if r.comment and r.comment.strip()
    ]
    return out[:limit]


def _low(records: Sequence[Row[Any]], limit: int) -> list[LowRating]:
    out = []
    for r in reversed(records):
        items = low_words(r.questionnaire_id, _answers(r.answers), r[5] or r[4])
        if items:
            out.append(
                LowRating(
                    r.id,
                    r.submitted_at.astimezone(VN_TZ),
                    r[4],
                    r[7],
                    items,
                    masked(r.comment) or None,
                )
            )
            if len(out) == limit:
                break
    return out


def _factors(qids: Sequence[str]) -> list[Factor]:
    seen: dict[str, Factor] = {}
    for qid in qids:
        for s in forms.get(qid).sections:
            if s.kind is SectionKind.FACTOR and s.code not in seen:
                seen[s.code] = Factor(s.code, s.title.vi, s.title.en)
    return [seen[k] for k in sorted(seen)]


def _weakest(
    scores: ScoredGroup, qids: Sequence[str], place_vi: str, place_en: str
) -> list[WeakItem]:
    texts: dict[str, forms.Item] = {}
    for qid in qids:
        q = forms.get(qid)
        for code in q.codes_of(SectionKind.FACTOR):
            texts.setdefault(code, q.item(code))
    candidates = [
        (code, e)
        for code, e in scores.items.items()
        if code in texts and e.index is not None and e.n >= WEAKEST_MIN_N
    ]
    candidates.sort(key=lambda ce: (ce[1].index or 0.0, ce[0]))  # every index is present
    return [
        WeakItem(
            code,
            texts[code].text.vi.replace("{place}", place_vi),
            texts[code].text.en.replace("{place}", place_en),
            e.n,
            e.index,
            e.ci_low,
            e.ci_high,
        )
        for code, e in candidates[:WEAKEST_ITEMS]
    ]


def today(
    user: User,
    day: date | None = None,
    *,
    place_vi: str = "Nơi làm thủ tục",
    place_en: str = "The office",
    responses: str = "all",
) -> Today:
    """Responses of one local day (default today) within the user's scope, with scores.

    The indices come from the day's statistics (:func:`~.scores.score_stored_scope`: stored for a
    closed day, kept per process for the open one), so no answer is read for them; the
    comments and low ratings read the newest responses only, until enough are found.
    ``responses`` (``all``, ``verified``, ``open``) restricts the indices (issue 13); the
    comments and low ratings are every response's, so that no single response's kind shows."""
    day = day or local_day(utcnow())
    unit_ids, counter_ids = scope_ids(user)
    where = RESPONSES[responses]
    whole_query = Slice(start=day, end=day, by=(), where=where)
    whole = score_stored_scope(whole_query, unit_ids, counter_ids)
    scores = whole[0] if whole else None
    coverage = _day_coverage(whole_query, scores, unit_ids, counter_ids)
    counters: list[CounterScore] = []
    qids: list[str] = []
    total = last_id = 0
    if scores is not None:
        counter_query = Slice(start=day, end=day, by=("counter",), where=where)
        per_counter = with_coverage(
            score_stored_scope(counter_query, unit_ids, counter_ids),
            counter_query,
            unit_ids,
            counter_ids,
        )
        units = {
            u.code: u
            for u in db.session.scalars(
                select(Unit).where(Unit.code.in_({g.key["unit"] for g in per_counter}))
            )
        }
        names = {
            (code, c): name
            for code, c, name in db.session.execute(
                select(Unit.code, Counter.code, Counter.name)
                .join(Unit, Unit.id == Counter.unit_id)
                .where(Unit.code.in_(units))
            )
        }
        rows = []
        for g in per_counter:
            key = (g.key["unit"], g.key["counter"])
            rows.append(
                (
                    units[key[0]].name,
                    key[1] == "",
                    key[1],
                    CounterScore(
                        units[key[0]].name,
                        names.get(key) if key[1] else None,
                        g.n,
                        g.sipas,
                        g.coverage,
                    ),
                )
            )
        counters = [row[-1] for row in sorted(rows, key=lambda row: row[:3])]
        total = sum(c.n for c in counters)
        places = {u.place_name or u.name for u in units.values()}
        if len(places) == 1:
            place_vi = place_en = places.pop()
        qids = _questionnaires(user, day)
        last_id = int(
            db.session.scalar(
                select(func.max(Response.id)).where(
                    Response.local_day == day, response_filter(user)
                )
            )
            or 0
        )
    weakest = _weakest(scores, qids, place_vi, place_en) if scores else []
    comments = _comments(
        _newest(
            user,
            day,
            lambda r: bool(r.comment and r.comment.strip()),
            LATEST_COMMENTS,
            commented=True,
        ),
        LATEST_COMMENTS,
    )
    low = _low(
        _newest(
            user,
            day,
            lambda r: bool(low_items(r.questionnaire_id, _answers(r.answers))),
            LATEST_LOW,
        ),
        LATEST_LOW,
    )
    return Today(
        day=day,
        total=total,
        last_id=last_id,
        scores=scores,
        factors=_factors(qids or ["sipas-2024-dv"]),
        counters=counters,
        weakest=weakest,
        comments=comments,
        low=low,
        coverage=coverage,
    )


def _day_coverage(
    query: Slice,
    scores: ScoredGroup | None,
    unit_ids: set[int] | None,
    counter_ids: set[int],
) -> Coverage | None:
    """The scope's coverage of the day: dossiers returned at its units and counters, and
    of them the answered ones (``None``: no dossier returned)."""
    found = counts(query, unit_ids, counter_ids)
    n_open = scores.n_open if scores is not None else 0
    return coverage_for(None if found is None else found.get(()), n_open, MIN_N)


def new_low(day: Today, seen: int | None) -> int:
    """Low ratings on the page that arrived after response ``seen`` (0 without one)."""
    return 0 if seen is None else sum(1 for r in day.low if r.id > seen)


NEWEST_CHUNK = 200


def _newest(
    user: User, day: date, wanted: Callable[[Row[Any]], bool], limit: int, commented: bool = False
) -> list[Row[Any]]:
    """The newest ``limit`` of the day's responses in scope for which ``wanted`` holds,
    oldest first (as :func:`_comments` and :func:`_low` take them), read newest first in
    chunks."""
    found: list[Row[Any]] = []
    before: int | None = None
    while len(found) < limit:
        chunk = _scoped_day(user, day, before=before, limit=NEWEST_CHUNK, commented=commented)
        found += [r for r in chunk if wanted(r)]
        if len(chunk) < NEWEST_CHUNK:
            break
        before = chunk[-1].id
    return list(reversed(found[:limit]))


def _questionnaires(user: User, day: date) -> list[str]:
    """The questionnaires answered on ``day`` within the user's scope."""
    return sorted(
        db.session.scalars(
            select(Response.questionnaire_id)
            .distinct()
            .where(Response.local_day == day, response_filter(user))
        )
    )


@dataclass(frozen=True, slots=True)
class News:
    """What arrived after a response id: for the page's refresh without reloading."""

    total: int
    last_id: int
    comments: list[Comment]
    low: list[LowRating]


def news(user: User, day: date, after: int) -> News:
    records = _scoped_day(user, day, after)
    total = (
        db.session.scalar(
            select(func.count(Response.id)).where(Response.local_day == day, response_filter(user))
        )
        or 0
    )
    return News(
        total=total,
        last_id=max((r.id for r in records), default=after),
        comments=_comments(records, LATEST_COMMENTS),
        low=_low(records, LATEST_LOW),
    )


def trend(user: User, last_day: date, days: int = TREND_DAYS) -> list[tuple[date, ScoredGroup]]:
    """Daily scores of the ``days`` days ending ``last_day``,
    within the user's scope; days without responses are left out.  Closed days come from
    their stored statistics (:mod:`.daystats`); only the open day's answers are read."""
    first = last_day - timedelta(days=days - 1)
    unit_ids, counter_ids = scope_ids(user)
    groups = score_stored_scope(
        Slice(start=first, end=last_day, by=("day",)), unit_ids, counter_ids
    )
    return [(date.fromisoformat(g.key["day"]), g) for g in groups]


def scope_ids(user: User) -> tuple[set[int] | None, set[int]]:
    """The user's scope as (unit ids, counter ids): the same rule as
    :func:`~survey_app.services.access.scope.response_filter` (``None``: every unit)."""
    if can(user, Capability.SEE_ALL_UNITS):
        return None, set()
    whole = [a.unit_id for a in user.roles if a.unit_id is not None and a.counter_id is None]
    counters = {a.counter_id for a in user.roles if a.counter_id is not None}
    return set(subtree_ids(whole)) if whole else set(), counters
