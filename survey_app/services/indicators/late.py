"""Late against on time (issue 14, part 3): SIPAS and its factors of the verified
respondents whose dossier was late (``tre_han``) against those whose dossier was early or
on time (``dung_han``), per unit (the response's unit: where the citizen was served and
answered) and for the whole, with the difference late − on time, its 95 % interval and
whether it is significant (``scoring.compare``, MOVER; docs/method.md §12.8).

The groups are ``sipas score --by unit,late`` with verified responses only: the score
service reads them with their dossier's timing (:mod:`survey_app.services.analytics.scores`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from scoring import Change, Cutoff, Estimate, compare
from survey_app.services.analytics.results import ScoredGroup
from survey_app.services.analytics.scores import Slice, score_stored_scope
from survey_app.services.analytics.slices import RESPONSES

FACTORS = ("A", "B", "C", "D", "E")


@dataclass(frozen=True)
class LateGap:
    """One unit's (``unit`` "": the whole's) late and on-time respondents and the
    differences late − on time of SIPAS and each factor."""

    unit: str
    late: ScoredGroup | None
    on_time: ScoredGroup | None
    sipas: Change
    factors: dict[str, Change]

    def as_dict(self) -> dict[str, Any]:
        def side(g: ScoredGroup | None) -> dict[str, Any]:
            if g is None:
                return {"n": 0, "sipas": None, "ci_low": None, "ci_high": None}
            return {
                "n": g.answering,
                "sipas": g.sipas.index,
                "ci_low": g.sipas.ci_low,
                "ci_high": g.sipas.ci_high,
                "factors": {f: g.factors[f].index for f in FACTORS if f in g.factors},
            }

        def change(c: Change) -> dict[str, Any]:
            return {
                "difference": c.difference,
                "ci_low": c.ci_low,
                "ci_high": c.ci_high,
                "significant": c.significant,
            }

        return {
            "unit": self.unit,
            "tre_han": side(self.late),
            "dung_han": side(self.on_time),
            "sipas_difference": change(self.sipas),
            "factor_differences": {f: change(c) for f, c in self.factors.items()},
        }


_NONE = Change(None, None, None, False)


def _change(late: Estimate | None, on_time: Estimate | None) -> Change:
    if late is None or on_time is None:
        return _NONE
    return compare(on_time, late)


def _gap(unit: str, late: ScoredGroup | None, on_time: ScoredGroup | None) -> LateGap:
    factors = {
        f: _change(
            late.factors.get(f) if late else None, on_time.factors.get(f) if on_time else None
        )
        for f in FACTORS
    }
    return LateGap(
        unit,
        late,
        on_time,
        _change(late.sipas if late else None, on_time.sipas if on_time else None),
        factors,
    )


def late_gaps(
    start: date,
    end: date,
    scope: Collection[int] | None = None,
    cutoff: Cutoff = Cutoff.CALENDAR,
) -> tuple[LateGap, ...]:
    """The whole first, then each unit with verified respondents, the largest fall (late
    below on time) first."""
    query = Slice(
        start=start,
        end=end,
        by=("unit", "late"),
        cutoff=cutoff,
        aggregate="own",
        where=RESPONSES["verified"],
    )
    per_unit = score_stored_scope(query, scope)
    whole = score_stored_scope(replace(query, by=("late",)), scope)
    sides: dict[str, dict[str, ScoredGroup]] = {}
    for g in per_unit:
        sides.setdefault(g.key["unit"], {})[g.key["late"]] = g
    gaps = [_gap(u, s.get("tre_han"), s.get("dung_han")) for u, s in sides.items()]
    gaps.sort(key=lambda g: (g.sipas.difference is None, g.sipas.difference or 0.0, g.unit))
    first = {g.key["late"]: g for g in whole}
    return (_gap("", first.get("tre_han"), first.get("dung_han")), *gaps)
