"""The office overview: every unit in scope against target, change, drill-down to items.

Every number comes from :func:`~survey_app.services.analytics.scores.score_stored` (one call for
the chosen period, one for the previous period of the same kind), and changes from
:func:`scoring.compare`.  Filters on target group, channel and procedure are applied by
grouping on that dimension as well and keeping the matching key, so nothing here
recomputes an index.

Why this module is long: it is the office pages' one service, in the order a request uses
it — the scope, the request's parameters (period, filters, sort, levels), the scores of the
period and the previous one, and the rows (units as a tree, with their ranks and coverage — the
dossiers served, answered and the rate, :mod:`.coverage`; a unit's sub-units and counters;
items).  The tree's own rules are in :mod:`.tree`.

Scope: the units below the user's ``office`` and ``unit_head`` roles (``admin``: every
unit) — a ``staff`` or ``inspector`` role gives no access to these pages (403), a unit
outside the scope answers 404.  Both are checked against :mod:`.scope`, the one scoping
function, which the office scope never exceeds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import select

import forms
from scoring import DEFAULT_MIN_N, Change, Coverage, Cutoff, Flag, compare, period_label
from survey_app.extensions import db
from survey_app.models import Counter, Procedure, Unit, User, unit_procedures
from survey_app.services.access.capabilities import Capability, roles_with
from survey_app.services.access.scope import role_unit_ids, unit_among, units_among
from survey_app.services.analytics import coverage as cover
from survey_app.services.analytics import overview_cache, tree
from survey_app.services.analytics.periods import PeriodChoice, period_dates, previous_period
from survey_app.services.analytics.results import ScoredGroup
from survey_app.services.analytics.scores import Slice, score_stored
from survey_app.services.analytics.slices import RESPONSES
from survey_app.services.clock import today_local
from survey_app.services.errors import OverviewError, PeriodError
from survey_app.services.org import subtree_ids

FACTORS = ("A", "B", "C", "D", "E")
CUTOFFS = {"lich": Cutoff.CALENDAR, "bao_cao": Cutoff.REPORT}
# ``phieu``: which responses (issue 13) → the slice's choice (analytics.slices.RESPONSES)
RESPONSE_CHOICES = {"xac_thuc": "verified", "mo": "open"}
TARGET_GROUPS = ("chung", "dat_dai_xay_dung_dau_tu")
SORT_KEYS = ("ten", "hang", "n", "sipas", *FACTORS, "muc_tieu", "danh_gia", "thay_doi")
DIRECTIONS = ("tang", "giam")
FLAG_ORDER = {
    "below_significant": 0,
    "below": 1,
    "meets": 2,
    "insufficient_data": 3,
    "no_target": 4,
}


# --- who may see what ---------------------------------------------------------------------


def office_unit_ids(user: User) -> set[int] | None:
    """Units of the office pages: below the user's office/unit-head roles; ``None`` = all."""
    return role_unit_ids(user, roles_with(Capability.VIEW_OFFICE))


def units_in_scope(ids: set[int] | None) -> list[Unit]:
    return units_among(ids)


def unit_in_scope(user: User, code: str) -> Unit:
    """The unit with this code, or 404 when it does not exist or is outside the scope."""
    return unit_among(office_unit_ids(user), code)


def counter_of(unit: Unit, code: str) -> Counter:
    counter = db.session.scalar(
        select(Counter).where(Counter.unit_id == unit.id, Counter.code == code)
    )
    if counter is None:
        abort(404)
    return counter


def procedures_in_scope(ids: set[int] | None) -> list[Procedure]:
    query = select(Procedure).order_by(Procedure.code)
    if ids is not None:
        query = query.where(
            Procedure.id.in_(
                select(unit_procedures.c.procedure_id).where(unit_procedures.c.unit_id.in_(ids))
            )
        )
    return list(db.session.scalars(query))


# --- request parameters -------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """The GET parameters of every office page (Vietnamese names, as in the URL)."""

    ky: str
    moc: str = "lich"
    nhom: str = ""
    hinh_thuc: str = ""
    thu_tuc: str = ""
    phieu: str = ""  # "" every response, "xac_thuc" verified only, "mo" open only (issue 13)
    start: date = field(default=date.min, compare=False)
    end: date = field(default=date.min, compare=False)

    @property
    def cutoff(self) -> Cutoff:
        return CUTOFFS[self.moc]

    def params(self) -> dict[str, str]:
        """Non-default parameters, for links that keep the filters."""
        out = {
            "ky": self.ky,
            "moc": self.moc,
            "nhom": self.nhom,
            "hinh_thuc": self.hinh_thuc,
            "thu_tuc": self.thu_tuc,
            "phieu": self.phieu,
        }
        return {k: v for k, v in out.items() if v and not (k == "moc" and v == "lich")}

    def previous(self) -> Filters:
        label = previous_label(self.ky)
        start, end = period_dates(label, self.cutoff.value)
        return replace(self, ky=label, start=start, end=end)

    @property
    def choice(self) -> PeriodChoice:
        """The period picker showing this period."""
        return PeriodChoice.from_label(self.ky, self.moc)

    @property
    def dimensions(self) -> tuple[str, ...]:
        chosen = (
            ("target_group", self.nhom),
            ("channel", self.hinh_thuc),
            ("procedure", self.thu_tuc),
        )
        return tuple(dim for dim, value in chosen if value)

    def wanted(self) -> dict[str, str]:
        return {"target_group": self.nhom, "channel": self.hinh_thuc, "procedure": self.thu_tuc}


def parse_filters(args: Any) -> Filters:
    """Read and check the filter parameters; :class:`OverviewError` names a bad one, and
    :class:`PeriodError` says what is wrong with the period (picked with the period picker's
    fields, or given as a ``ky`` label by the page's own links)."""
    if PeriodChoice.picked(args):
        choice = PeriodChoice.from_data(args)
        ky, moc = choice.label(), choice.moc
    else:
        moc = args.get("moc", "lich") or "lich"
        choice = PeriodChoice.from_label(args.get("ky") or "", moc)
        if moc not in CUTOFFS:
            raise PeriodError(str(_cutoff_message()), choice)
        ky = (args.get("ky") or "").strip() or period_label(today_local(), "quarter", CUTOFFS[moc])
    try:
        start, end = period_dates(ky, CUTOFFS[moc].value)
        period_dates(previous_label(ky), CUTOFFS[moc].value)  # the comparison must be a period too
    except ValueError:
        raise PeriodError(str(_period_message()), PeriodChoice.from_label(ky, moc)) from None
    nhom = args.get("nhom", "")
    if nhom and nhom not in TARGET_GROUPS:
        raise OverviewError("nhom")
    hinh_thuc = args.get("hinh_thuc", "")
    if hinh_thuc and hinh_thuc not in forms.CHANNELS:
        raise OverviewError("hinh_thuc")
    thu_tuc = args.get("thu_tuc", "")
    if len(thu_tuc) > 40:
        raise OverviewError("thu_tuc")
    phieu = args.get("phieu", "")
    if phieu and phieu not in RESPONSE_CHOICES:
        raise OverviewError("phieu")
    return Filters(
        ky=ky,
        moc=moc,
        nhom=nhom,
        hinh_thuc=hinh_thuc,
        thu_tuc=thu_tuc,
        phieu=phieu,
        start=start,
        end=end,
    )


def parse_sort(args: Any) -> tuple[str, bool]:
    key = args.get("sap_xep", "ten") or "ten"
    direction = args.get("chieu", "tang") or "tang"
    if key not in SORT_KEYS:
        raise OverviewError("sap_xep")
    if direction not in DIRECTIONS:
        raise OverviewError("chieu")
    return key, direction == "giam"


MAX_LEVELS = 9


def parse_levels(args: Any) -> int | None:
    """The level filter ``cap``: show the tree's first N levels (``None``: every level)."""
    raw = (args.get("cap") or "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_LEVELS:
        raise OverviewError("cap")
    return int(raw)


def previous_label(label: str) -> str:
    """The period of the same kind just before ``label`` (2026-Q1 → 2025-Q4)."""
    return previous_period(label)


def _cutoff_message() -> str:
    return _("Hãy chọn mốc kỳ: theo lịch hoặc kỳ báo cáo (15–14).")


def _period_message() -> str:
    return _("Kỳ không hợp lệ. Hãy chọn loại kỳ, số và năm, hoặc hai ngày của một khoảng tùy chọn.")


# --- scores -------------------------------------------------------------------------------


def _score(
    filters: Filters,
    by: tuple[str, ...],
    unit_code: str | None,
    aggregate: str = "pool",
) -> tuple[ScoredGroup, ...]:
    """Groups of ``score_stored`` for the filters' period, of the responses matching the
    chosen filters."""
    return score_stored(_slice(filters, by, unit_code, aggregate))


def _slice(
    filters: Filters, by: tuple[str, ...], unit_code: str | None, aggregate: str = "pool"
) -> Slice:
    wanted = filters.wanted()
    return Slice(
        start=filters.start,
        end=filters.end,
        by=by,
        cutoff=filters.cutoff,
        unit_code=unit_code,
        aggregate=aggregate,
        where=(
            *((dim, wanted[dim]) for dim in filters.dimensions),
            *RESPONSES[RESPONSE_CHOICES.get(filters.phieu, "all")],
        ),
    )


def _coverage(
    filters: Filters,
    by: tuple[str, ...],
    groups: Iterable[ScoredGroup],
    unit_ids: set[int] | None = None,
    unit_code: str | None = None,
    aggregate: str = "pool",
) -> dict[str, Coverage]:
    """The last key (unit or counter code) → coverage of the period's dossiers (issue 14),
    with each group's open respondents from ``groups``."""
    found = cover.counts(_slice(filters, by, unit_code, aggregate), unit_ids)
    if not found:
        return {}
    n_open = {tuple(g.key.values())[-1]: g.n_open for g in groups}
    out = {}
    for key, counted in found.items():
        c = cover.coverage_for(counted, n_open.get(key[-1], 0), DEFAULT_MIN_N)
        if c is not None:
            out[key[-1]] = c
    return out


def _score_roots(
    filters: Filters,
    by: tuple[str, ...],
    ids: set[int] | None,
    units: list[Unit],
    aggregate: str = "pool",
) -> tuple[ScoredGroup, ...]:
    """Score the scope: every unit (admin) or each top unit of the user's subtrees."""
    if ids is None:
        return _score(filters, by, None, aggregate)
    roots = [u for u in units if u.parent_id not in ids]
    return tuple(g for root in roots for g in _score(filters, by, root.code, aggregate))


def change(before: ScoredGroup | None, after: ScoredGroup | None) -> Change | None:
    """Change of SIPAS between two groups (``None`` when either period has no data)."""
    if before is None or after is None:
        return None
    result = compare(before.sipas, after.sipas)
    return None if result.difference is None else result


@dataclass
class Row:
    """One line of a table: a unit or a counter, its scores now and the change; a unit row
    also has its place in the tree (``depth``, ``parent``; ``subtotal``: its figures pool
    its sub-units') and its rank among the serving units (``None``: not ranked)."""

    code: str
    name: str
    score: ScoredGroup | None
    change: Change | None = None
    depth: int = 0
    parent: str | None = None
    subtotal: bool = False
    serving: bool = True
    rank: int | None = None
    coverage: Coverage | None = None  # the row's dossiers (issue 14; None: no dossier)
    # A serving unit whose own coverage is under the minimum (rate or verified n): listed
    # apart, not ranked (docs/method.md §7.3).
    unrepresentative: bool = False

    @property
    def n(self) -> int:
        return self.score.n if self.score else 0

    @property
    def n_verified(self) -> int:
        return self.score.n_verified if self.score else 0

    @property
    def n_open(self) -> int:
        return self.score.n_open if self.score else 0

    def index(self, key: str) -> float | None:
        """SIPAS (``"sipas"``) or a factor's index."""
        found = self.score.estimate(key) if self.score else None
        return found.index if found else None

    def interval(self, key: str) -> tuple[float | None, float | None]:
        found = self.score.estimate(key) if self.score else None
        return (found.ci_low, found.ci_high) if found else (None, None)

    @property
    def flag(self) -> str:
        return self.score.flag if self.score else Flag.INSUFFICIENT_DATA

    @property
    def target(self) -> float | None:
        return self.score.target if self.score else None


def _sort_value(row: Row, key: str) -> Any:
    if key == "ten":
        return row.name.casefold()
    if key == "n":
        return row.n
    if key == "muc_tieu":
        return row.target
    if key == "danh_gia":
        return FLAG_ORDER.get(row.flag, 9)
    if key == "thay_doi":
        return row.change.difference if row.change else None
    return row.index(key)


def sort_rows(rows: list[Row], key: str, descending: bool) -> list[Row]:
    """Sort by a column; rows without a value always come last."""
    present = [r for r in rows if _sort_value(r, key) is not None]
    missing = [r for r in rows if _sort_value(r, key) is None]
    present.sort(key=lambda r: (_sort_value(r, key), r.code), reverse=descending)
    return present + sorted(missing, key=lambda r: r.code)


def _rows(
    items: Iterable[tuple[str, str]],
    now: dict[str, ScoredGroup],
    before: dict[str, ScoredGroup],
) -> list[Row]:
    return [
        Row(code, name, now.get(code), change(before.get(code), now.get(code)))
        for code, name in items
    ]


def _by_key(
    groups: Iterable[ScoredGroup], key: Callable[[ScoredGroup], str | None]
) -> dict[str, ScoredGroup]:
    out = {}
    for g in groups:
        k = key(g)
        if k is not None:
            out[k] = g
    return out


def _tree_rows(
    nodes: list[tree.Node],
    now: dict[str, ScoredGroup],
    before: dict[str, ScoredGroup],
    own: Iterable[ScoredGroup],
    pooled: dict[str, Coverage] | None = None,
    own_coverage: dict[str, Coverage] | None = None,
) -> list[Row]:
    """Rows in tree order: each unit pooled over its subtree, ranked when it serves
    citizens (on its ``own`` responses) and its own coverage, if it has dossiers, is
    representative (``pooled``: each row's coverage)."""
    mine = tree.own_scores(own)
    nodes = tree.with_own_responses(nodes, mine)
    own_coverage = own_coverage or {}
    pooled = pooled or {}
    apart = {
        n.code for n in nodes if n.serving and cover.not_representative(own_coverage.get(n.code))
    }
    rankable = {code: g for code, g in mine.items() if code not in apart}
    ranks = {n.code: k for k, n in tree.ranked_units(nodes, rankable, DEFAULT_MIN_N)}
    return [
        Row(
            n.code,
            n.unit.name,
            now.get(n.code),
            change(before.get(n.code), now.get(n.code)),
            depth=n.depth,
            parent=n.parent_code,
            subtotal=n.subtotal,
            serving=n.serving,
            rank=ranks.get(n.code),
            coverage=pooled.get(n.code),
            unrepresentative=n.code in apart,
        )
        for n in nodes
    ]


def unit_rows(user: User, filters: Filters) -> list[Row]:
    """Every unit in the user's scope as a tree: pooled over its subtree, with the change
    and the serving units' ranks — kept per process while the data are the same
    (:mod:`.overview_cache`)."""
    ids = office_unit_ids(user)
    scope = None if ids is None else frozenset(ids)
    key = ("unit_rows", scope, filters, filters.start, cover.min_rate())
    return list(overview_cache.cached(key, lambda: _unit_rows(ids, filters)))


def _unit_rows(ids: set[int] | None, filters: Filters) -> list[Row]:
    units = units_in_scope(ids)
    codes = {u.code for u in units}

    def pick(g: ScoredGroup) -> str | None:
        return g.key["unit"] if g.key["unit"] in codes else None

    now = _by_key(_score_roots(filters, ("unit",), ids, units), pick)
    before = _by_key(_score_roots(filters.previous(), ("unit",), ids, units), pick)
    own = _score_roots(filters, ("unit",), ids, units, aggregate="own")
    pooled = _coverage(filters, ("unit",), now.values(), ids)
    own_coverage = _coverage(filters, ("unit",), own, ids, aggregate="own")
    return _tree_rows(tree.tree_order(units), now, before, own, pooled, own_coverage)


def sub_unit_rows(unit: Unit, filters: Filters) -> list[Row]:
    """The unit's sub-units (its subtree below it, as a tree), each pooled over its own
    subtree, for a parent's drill-down page."""
    below = [u for u in units_among(set(subtree_ids([unit.id]))) if u.id != unit.id]
    if not below:
        return []
    codes = {u.code for u in below}

    def pick(g: ScoredGroup) -> str | None:
        return g.key["unit"] if g.key["unit"] in codes else None

    now = _by_key(_score(filters, ("unit",), unit.code), pick)
    before = _by_key(_score(filters.previous(), ("unit",), unit.code), pick)
    own = [
        g for g in _score(filters, ("unit",), unit.code, aggregate="own") if g.key["unit"] in codes
    ]
    pooled = _coverage(filters, ("unit",), now.values(), unit_code=unit.code)
    own_coverage = _coverage(filters, ("unit",), own, unit_code=unit.code, aggregate="own")
    return _tree_rows(tree.tree_order(below), now, before, own, pooled, own_coverage)


def row_sort_value(key: str) -> Callable[[Row], Any]:
    """The value a column sorts by (for :func:`sort_rows` and the tree's siblings)."""
    if key == "hang":
        return lambda r: r.rank
    return lambda r: _sort_value(r, key)


def sort_unit_rows(rows: list[Row], key: str, descending: bool) -> list[Row]:
    """The tree with siblings sorted by a column (a parent stays above its sub-units)."""
    value = row_sort_value(key)
    return tree.sort_tree(rows, lambda r: r.code, lambda r: r.parent, value, descending)


def visible_rows(rows: list[Row], levels: int | None) -> list[Row]:
    """The level filter: rows above ``levels`` (``None``: every row)."""
    return rows if levels is None else [r for r in rows if r.depth < levels]


def counter_rows(unit: Unit, filters: Filters) -> list[Row]:
    """The unit's own counters (and responses without a counter, code ``""``)."""

    def pick(g: ScoredGroup) -> str | None:
        return g.key["counter"] if g.key["unit"] == unit.code else None

    now = _by_key(_score(filters, ("counter",), unit.code), pick)
    before = _by_key(_score(filters.previous(), ("counter",), unit.code), pick)
    names = {c.code: c.name for c in sorted(unit.counters, key=lambda c: c.code)}
    rows = _rows(names.items(), now, before)
    if "" in now:
        rows.append(Row("", "", now[""], change(before.get(""), now[""])))
    covered = _coverage(filters, ("counter",), now.values(), {unit.id})
    return [replace(r, coverage=covered.get(r.code)) for r in rows]


def unit_score(unit: Unit, filters: Filters) -> ScoredGroup | None:
    groups = _score(filters, ("unit",), unit.code)
    return next((g for g in groups if g.key["unit"] == unit.code), None)


def unit_coverage(unit: Unit, filters: Filters, score: ScoredGroup | None) -> Coverage | None:
    """The unit's dossiers over its subtree (``score``: its score, for the open responses)."""
    found = _coverage(filters, ("unit",), [score] if score else [], unit_code=unit.code)
    return found.get(unit.code)


def counter_score(unit: Unit, counter: Counter, filters: Filters) -> ScoredGroup | None:
    query = _slice(filters, ("counter",), unit.code)
    groups = cover.attach(score_stored(query), query, {unit.id})
    return next(
        (g for g in groups if g.key["unit"] == unit.code and g.key["counter"] == counter.code),
        None,
    )


@dataclass(frozen=True)
class ItemLine:
    code: str
    text: str
    n: int
    index: float | None
    ci_low: float | None
    ci_high: float | None


def item_text(code: str, place: str, locale: str = "vi") -> str:
    """The item's wording, with the unit's "[Nơi]" (its place name) filled in."""
    for q in forms.load_all().values():
        if code in q.item_codes:
            return q.item(code).text.get(locale).replace("{place}", place)
    return code


def item_lines(score: ScoredGroup | None, unit: Unit, locale: str = "vi") -> list[ItemLine]:
    """The items of a group in questionnaire order, with their text."""
    if score is None:
        return []
    order = {c: i for i, c in enumerate(forms.all_item_codes())}
    place = unit.place_name or unit.name
    return [
        ItemLine(code, item_text(code, place, locale), e.n, e.index, e.ci_low, e.ci_high)
        for code, e in sorted(score.items.items(), key=lambda kv: order.get(kv[0], 999))
    ]
