"""A day's feedback for a staff member's scope: counts, indices, weakest items, comments,
low ratings, and a 30-day SIPAS trend.

Every query is scoped with :func:`~survey_app.services.scope.response_filter` (the trend:
the same rule as unit and counter ids, :func:`scope_ids`); every index comes from
``scoring`` — the day's through :func:`~survey_app.services.scores.score_rows` on the
responses shown, the trend's through :func:`~survey_app.services.scores.score_scope` from
stored per-day statistics — with no second implementation of the arithmetic here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Row, case, func, null, select

import forms
from forms import SectionKind
from scoring import DEFAULT_MIN_N

from ..extensions import db
from ..models import Counter, Procedure, Response, Unit, User, utcnow
from .complaints import conduct_hidden
from .org import subtree_ids
from .responses import VN_TZ, local_day
from .scope import response_filter
from .scores import Slice, rows_from_records, score_rows, score_scope

LATEST_COMMENTS = 20
LATEST_LOW = 20
WEAKEST_ITEMS = 3
WEAKEST_MIN_N = 5  # an item needs this many answers to be named among the weakest
TREND_DAYS = 30
MIN_N = DEFAULT_MIN_N  # below this: "chưa đủ dữ liệu"
LOW_VALUES = frozenset({1, 2})  # "Rất không hài lòng", "Không hài lòng"


@dataclass(frozen=True, slots=True)
class CounterScore:
    unit_name: str
    counter_name: str | None  # None: responses that name no counter
    n: int
    sipas: dict[str, float | None] | None  # {"index", "ci_low", "ci_high"}


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
    items: tuple[tuple[str, int], ...]  # (item code, answer 1 or 2)
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
    scores: dict[str, Any] | None  # scoring.to_json_dict of the whole day, None: no response
    factors: list[Factor]
    counters: list[CounterScore]
    weakest: list[WeakItem]
    comments: list[Comment]
    low: list[LowRating]


def _scoped_day(user: User, day: date, after: int = 0) -> list[Row[Any]]:
    """The day's responses within the user's scope (``id > after``), oldest first; the
    comment is left out where it is a conduct complaint the user may not see.  Executed on
    the session's connection: plain rows, without the ORM's per-row bookkeeping."""
    return list(db.session.connection().execute(
        select(Response.id, Response.submitted_at, Response.local_day, Unit.code, Unit.name,
               Unit.place_name, Counter.code, Counter.name, Procedure.code,
               Response.target_group, Response.channel, Response.questionnaire_id,
               Response.answers,
               case((conduct_hidden(user), null()), else_=Response.comment).label("comment"))
        .join(Unit, Unit.id == Response.unit_id)
        .outerjoin(Counter, Counter.id == Response.counter_id)
        .outerjoin(Procedure, Procedure.id == Response.procedure_id)
        .where(Response.local_day == day, Response.id > after, response_filter(user))
        .order_by(Response.id)))


def _answers(raw: Any) -> dict[str, int]:
    return json.loads(raw) if isinstance(raw, str) else dict(raw or {})


def _rows(records: Sequence[Row[Any]]) -> Any:
    return rows_from_records(
        (r.local_day, r[3], r[6] or "", r[8] or "", r.target_group, r.channel or "",
         r.questionnaire_id, _answers(r.answers)) for r in records)


@cache
def _satisfaction_codes(qid: str) -> frozenset[str]:
    return frozenset(forms.get(qid).codes_of(SectionKind.FACTOR))


def low_items(qid: str, answers: dict[str, int]) -> tuple[tuple[str, int], ...]:
    """The satisfaction items answered 1 or 2, in form order."""
    wanted = _satisfaction_codes(qid)
    return tuple((code, answers[code]) for code in forms.get(qid).item_codes
                 if code in wanted and answers.get(code) in LOW_VALUES)


def _comments(records: Sequence[Row[Any]], limit: int) -> list[Comment]:
    out = [Comment(r.id, r.submitted_at.astimezone(VN_TZ), r[4], r[7], r.comment)
           for r in reversed(records) if r.comment and r.comment.strip()]
    return out[:limit]


def _low(records: Sequence[Row[Any]], limit: int) -> list[LowRating]:
    out = []
    for r in reversed(records):
        items = low_items(r.questionnaire_id, _answers(r.answers))
        if items:
            out.append(LowRating(r.id, r.submitted_at.astimezone(VN_TZ), r[4], r[7], items,
                                 r.comment or None))
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


def _weakest(scores: dict[str, Any], qids: Sequence[str], place_vi: str,
             place_en: str) -> list[WeakItem]:
    texts: dict[str, forms.Item] = {}
    for qid in qids:
        q = forms.get(qid)
        for code in q.codes_of(SectionKind.FACTOR):
            texts.setdefault(code, q.item(code))
    candidates = [(code, e) for code, e in scores["items"].items()
                  if code in texts and e["index"] is not None and e["n"] >= WEAKEST_MIN_N]
    candidates.sort(key=lambda ce: (ce[1]["index"], ce[0]))
    return [WeakItem(code, texts[code].text.vi.replace("{place}", place_vi),
                     texts[code].text.en.replace("{place}", place_en), int(e["n"]),
                     e["index"], e["ci_low"], e["ci_high"])
            for code, e in candidates[:WEAKEST_ITEMS]]


def today(user: User, day: date | None = None, *, place_vi: str = "Nơi làm thủ tục",
          place_en: str = "The office") -> Today:
    """Responses of one local day (default today) within the user's scope, with scores."""
    day = day or local_day(utcnow())
    records = _scoped_day(user, day)
    qids = sorted({r.questionnaire_id for r in records})
    scores = None
    counters: list[CounterScore] = []
    if records:
        rows = _rows(records)
        whole = score_rows(rows, Slice(start=day, end=day, by=()))
        scores = whole[0] if whole else None
        per_counter = {(g["group"]["unit"], g["group"]["counter"]): g
                       for g in score_rows(rows, Slice(start=day, end=day, by=("counter",)))}
        names: dict[tuple[str, str], tuple[str, str | None]] = {}
        counts: dict[tuple[str, str], int] = {}
        for r in records:
            key = (r[3], r[6] or "")
            names[key] = (r[4], r[7])
            counts[key] = counts.get(key, 0) + 1
        for key in sorted(names, key=lambda k: (names[k][0], k[1] == "", k[1])):
            result = per_counter.get(key)
            counters.append(CounterScore(names[key][0], names[key][1], counts[key],
                                         result["sipas"] if result else None))
        places = {r.place_name or r[4] for r in records}
        if len(places) == 1:
            place_vi = place_en = places.pop()
    weakest = _weakest(scores, qids, place_vi, place_en) if scores else []
    return Today(day=day, total=len(records), last_id=max((r.id for r in records), default=0),
                 scores=scores, factors=_factors(qids or ["sipas-2024-dv"]),
                 counters=counters, weakest=weakest,
                 comments=_comments(records, LATEST_COMMENTS), low=_low(records, LATEST_LOW))


@dataclass(frozen=True, slots=True)
class News:
    """What arrived after a response id: for the page's refresh without reloading."""

    total: int
    last_id: int
    comments: list[Comment]
    low: list[LowRating]


def news(user: User, day: date, after: int) -> News:
    records = _scoped_day(user, day, after)
    total = db.session.scalar(select(func.count(Response.id)).where(
        Response.local_day == day, response_filter(user))) or 0
    return News(total=total, last_id=max((r.id for r in records), default=after),
                comments=_comments(records, LATEST_COMMENTS), low=_low(records, LATEST_LOW))


def trend(user: User, last_day: date, days: int = TREND_DAYS
          ) -> list[tuple[date, dict[str, Any]]]:
    """Daily scores (``scoring.to_json_dict``) of the ``days`` days ending ``last_day``,
    within the user's scope; days without responses are left out.  Closed days come from
    their stored statistics (:mod:`.daystats`); only the open day's answers are read."""
    first = last_day - timedelta(days=days - 1)
    unit_ids, counter_ids = scope_ids(user)
    groups = score_scope(Slice(start=first, end=last_day, by=("day",)), unit_ids,
                         counter_ids)
    return [(date.fromisoformat(g["group"]["day"]), g) for g in groups]


def scope_ids(user: User) -> tuple[set[int] | None, set[int]]:
    """The user's scope as (unit ids, counter ids): the same rule as
    :func:`~survey_app.services.scope.response_filter` (``None``: every unit)."""
    if any(a.role == "admin" for a in user.roles):
        return None, set()
    whole = [a.unit_id for a in user.roles if a.unit_id is not None and a.counter_id is None]
    counters = {a.counter_id for a in user.roles if a.counter_id is not None}
    return set(subtree_ids(whole)) if whole else set(), counters
