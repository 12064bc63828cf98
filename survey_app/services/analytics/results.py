"""What the score service hands out: one frozen :class:`ScoredGroup` per group of a slice.

A group's indices stay ``scoring``'s own typed results (:class:`scoring.GroupScore` of
:class:`scoring.Estimate`); the group adds its key (dimension → label), its target and the
flag against it.  Views, reports and the CLI read the attributes (``g.sipas.index``,
``g.factors["A"].ci_low``, ``g.integrity["Q5"].index`` — an integrity rate); JSON is made
at the edge only, by :meth:`ScoredGroup.to_json` (through :func:`scoring.to_json_dict`) and
:func:`to_json` for a list — the shape of ``sipas score --format json`` (METHOD §7).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from scoring import Coverage, Estimate, Flag, GroupScore, flag_for, to_json_dict

__all__ = ["ScoredGroup", "to_json"]


@dataclass(frozen=True)
class ScoredGroup:
    """One group of a slice: its key, ``scoring``'s indices, the target and the flag.

    ``key`` maps each grouping dimension to the group's label (``{"unit": "MC.AT",
    "month": "2026-03"}``; ``{}`` for the whole slice).  Indices are percentages, ``None``
    without data; ``integrity`` estimates are rates (answers 2–3).

    Indexing (``g["sipas"]["index"]``) reads the group's JSON object (:meth:`to_json`), for
    scripts written against that shape; the app reads the attributes.
    """

    key: Mapping[str, str]
    result: GroupScore
    target: float | None  # None: no target set in force for the group's period
    min_n: int
    n_verified: int = 0  # respondents who answered through a dossier's invitation (issue 13)
    # The group's dossiers served, invited and answered (issue 14; ``None``: the group has
    # no dossier, or coverage was not asked for) — :mod:`.coverage` attaches it.
    coverage: Coverage | None = None

    @property
    def n(self) -> int:
        """Respondents."""
        return self.result.n

    @property
    def n_open(self) -> int:
        """Respondents of open responses (QR card, kiosk, API, file): ``n - n_verified``."""
        return self.result.n - self.n_verified

    @property
    def answering(self) -> int:
        """Respondents behind the SIPAS index (the flag's ``n``, compared with ``min_n``): the
        most who answered one factor, so a response with only integrity or expectation
        answers does not count (docs/method.md §5.4)."""
        return self.result.sipas.n

    @property
    def sipas(self) -> Estimate:
        return self.result.sipas

    @property
    def items(self) -> Mapping[str, Estimate]:
        return self.result.items

    @property
    def factors(self) -> Mapping[str, Estimate]:
        return self.result.factors

    @property
    def parts(self) -> Mapping[str, Estimate]:
        return self.result.parts

    @property
    def expectation(self) -> Mapping[str, Estimate]:
        return self.result.expectation

    @property
    def integrity(self) -> Mapping[str, Estimate]:
        return self.result.integrity

    @cached_property
    def flag(self) -> Flag:
        """SIPAS against the target (:func:`scoring.flag_for`, with ``min_n``), counting the
        respondents behind the SIPAS index (``sipas.n``), not every row."""
        return flag_for(self.answering, self.sipas, self.target, self.min_n)

    def estimate(self, code: str) -> Estimate | None:
        """SIPAS (``"sipas"``) or a factor's estimate (``"A"`` … ``"E"``); ``None`` when the
        group has no such factor."""
        return self.sipas if code == "sipas" else self.factors.get(code)

    def to_json(self) -> dict[str, Any]:
        """The group as a JSON-ready ``dict``: ``{"group": key, **scoring.to_json_dict}``,
        with ``n_verified`` and ``n_open`` (verified and open respondents) after ``n`` and
        ``coverage`` (:meth:`scoring.Coverage.to_json`, ``null`` without dossiers) last."""
        body = to_json_dict(self.result, target=self.target, min_n=self.min_n)
        return {
            "group": dict(self.key),
            "n": body.pop("n"),
            "n_verified": self.n_verified,
            "n_open": self.n_open,
            **body,
            "coverage": None if self.coverage is None else self.coverage.to_json(),
        }

    def __getitem__(self, name: str) -> Any:
        return self.to_json()[name]


def to_json(groups: Iterable[ScoredGroup]) -> list[dict[str, Any]]:
    """Groups as JSON-ready dicts (the one place scores become JSON)."""
    return [g.to_json() for g in groups]
