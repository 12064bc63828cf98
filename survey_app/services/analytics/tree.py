"""The unit tree as every page and report shows it: units in tree order (a parent, then its
sub-units, indented), parent rows as pooled subtotals, and the one rule for what is ranked.

- **Tree order** (:func:`tree_order`): depth first from the top units of the list, sub-units
  by code (or by a sort key among siblings, :func:`sort_tree`); ``depth`` counts from the top
  units of the list, so an office's own unit is at depth 0.
- **Subtotals**: a parent's figures are those of every response of its subtree pooled
  (``Slice.aggregate == "pool"``: the answers added up, never an average of its children's
  indices, METHOD §4) — the scores services already give every unit its subtree's pool.
- **Ranking** (:func:`ranked_units`): only the units that serve citizens — a unit with at
  least one counter (quầy), or with responses of its own (:func:`with_own_responses`) — are
  ranked, each once, on its *own* responses (the same as its subtree's when it has no
  sub-unit); a ward without counters is a subtotal of its one-stop desk, never a second
  entry.  "đạt x/y" counts these units (:func:`meeting`), and charts
  and tables take the same list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Counter, Unit
from survey_app.services.analytics.results import ScoredGroup

T = TypeVar("T")


@dataclass(frozen=True)
class Node:
    """A unit's place in the listed tree."""

    unit: Unit
    depth: int  # 0: a top unit of the list
    parent_code: str | None  # the parent's code when the parent is listed too
    children: tuple[str, ...]  # codes of the listed sub-units
    serving: bool  # has at least one counter: serves citizens, is ranked

    @property
    def code(self) -> str:
        return self.unit.code

    @property
    def subtotal(self) -> bool:
        """A parent row: its figures pool its listed sub-units' responses."""
        return bool(self.children)


def serving_unit_ids(unit_ids: Iterable[int] | None = None) -> set[int]:
    """Units with at least one counter (active or not: its past responses count)."""
    query = select(Counter.unit_id).distinct()
    if unit_ids is not None:
        query = query.where(Counter.unit_id.in_(list(unit_ids)))
    return set(db.session.scalars(query))


def tree_order(units: Sequence[Unit], serving: set[int] | None = None) -> list[Node]:
    """The units as a tree, depth first, sub-units by code."""
    serving = serving_unit_ids([u.id for u in units]) if serving is None else serving
    listed = {u.id for u in units}
    children: dict[int | None, list[Unit]] = {}
    for u in sorted(units, key=lambda u: u.code):
        parent = u.parent_id if u.parent_id in listed else None
        children.setdefault(parent, []).append(u)
    out: list[Node] = []
    by_id = {u.id: u for u in units}

    def walk(unit: Unit, depth: int) -> None:
        below = children.get(unit.id, [])
        parent = by_id.get(unit.parent_id) if unit.parent_id is not None else None
        out.append(
            Node(
                unit,
                depth,
                parent.code if parent is not None else None,
                tuple(c.code for c in below),
                unit.id in serving,
            )
        )
        for child in below:
            walk(child, depth + 1)

    for top in children.get(None, []):
        walk(top, 0)
    return out


def sort_tree(
    items: Sequence[T],
    code: Callable[[T], str],
    parent: Callable[[T], str | None],
    key: Callable[[T], Any],
    descending: bool = False,
) -> list[T]:
    """The same tree (items in tree order, each with its code and its parent's code) with
    siblings ordered by ``key``: ``None`` values last, equal values by code; a parent stays
    above its sub-units."""
    by_parent: dict[str | None, list[T]] = {}
    for item in items:
        by_parent.setdefault(parent(item), []).append(item)

    def ordered(siblings: list[T]) -> list[T]:
        present = [i for i in siblings if key(i) is not None]
        missing = [i for i in siblings if key(i) is None]
        present.sort(key=lambda i: (key(i), code(i)), reverse=descending)
        return present + sorted(missing, key=code)

    out: list[T] = []

    def walk(item: T) -> None:
        out.append(item)
        for child in ordered(by_parent.get(code(item), [])):
            walk(child)

    for top in ordered(by_parent.get(None, [])):
        walk(top)
    return out


def ranked_units(
    nodes: Sequence[Node], scores: Mapping[str, ScoredGroup], min_n: int
) -> list[tuple[int, Node]]:
    """(rank, node) of the serving units with at least ``min_n`` respondents, by SIPAS
    (highest first; equal values by code); ``scores``: each unit's own responses."""
    eligible = [
        n
        for n in nodes
        if n.serving
        and n.code in scores
        and scores[n.code].answering >= min_n
        and scores[n.code].sipas.index is not None
    ]
    eligible.sort(key=lambda n: (-(scores[n.code].sipas.index or 0.0), n.code))
    return list(enumerate(eligible, start=1))


def own_scores(groups: Iterable[ScoredGroup]) -> dict[str, ScoredGroup]:
    """Unit code → group, of a ``Slice(by=("unit",), aggregate="own")`` score: each unit's
    own responses (its counters' and those that name no counter), nothing pooled."""
    return {g.key["unit"]: g for g in groups}


def with_own_responses(nodes: Sequence[Node], own: Mapping[str, ScoredGroup]) -> list[Node]:
    """A unit with responses of its own serves citizens too, counters or not (paper forms
    typed in, a one-stop software that names no counter): it is ranked like the others."""
    return [replace(n, serving=True) if n.code in own and not n.serving else n for n in nodes]


def meeting(
    nodes: Sequence[Node], scores: Mapping[str, ScoredGroup], min_n: int
) -> tuple[int, int, int]:
    """Serving units (each once) with responses, with at least ``min_n`` of them, and of
    those the ones whose SIPAS meets their target: (with data, assessed, meeting)."""
    present = [scores[n.code] for n in nodes if n.serving and n.code in scores]
    assessed = [s for s in present if s.answering >= min_n]
    return len(present), len(assessed), sum(1 for s in assessed if s.flag == "meets")
