"""Questionnaire structure as seen by the scoring library: items → factors → parts.

The library never hard-codes the SIPAS item codes; the ``forms`` package builds a
:class:`Structure` from a questionnaire definition.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

__all__ = ["Structure"]


@dataclass(frozen=True, eq=False)
class Structure:
    """Scoring structure of one questionnaire version.

    Parameters
    ----------
    factors : Mapping[str, tuple[str, ...]]
        Factor code → codes of its satisfaction items (answer scale 1–5), in order.
    parts : Mapping[str, tuple[str, ...]]
        Part code → codes of its factors.
    expectation : tuple[str, ...]
        Expectation item codes (scale 1–4).
    integrity : tuple[str, ...]
        Integrity item codes (scale 1–3).

    Notes
    -----
    The answer columns of :meth:`scoring.SufficientStats.from_answers` follow
    :attr:`columns`: satisfaction items in factor order, then expectation items, then
    integrity items.

    Examples
    --------
    >>> s = Structure(factors={"A": ("A1", "A2"), "B": ("B1",)}, parts={"DV": ("A", "B")},
    ...               expectation=("X5",), integrity=("Q5",))
    >>> s.items
    ('A1', 'A2', 'B1')
    >>> s.columns
    ('A1', 'A2', 'B1', 'X5', 'Q5')
    """

    factors: Mapping[str, tuple[str, ...]]
    parts: Mapping[str, tuple[str, ...]]
    expectation: tuple[str, ...] = ()
    integrity: tuple[str, ...] = ()
    _membership: NDArray[np.float64] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        factors = _validate_code_map(self.factors, "factors")
        parts = _validate_code_map(self.parts, "parts")
        expectation = _validate_codes(self.expectation, "expectation")
        integrity = _validate_codes(self.integrity, "integrity")
        items = tuple(code for members in factors.values() for code in members)
        every = items + expectation + integrity
        duplicates = sorted({code for code in every if every.count(code) > 1})
        if duplicates:
            raise ValueError(
                f"factors/expectation/integrity: item codes must be unique, repeated: {duplicates}"
            )
        in_parts = [code for members in parts.values() for code in members]
        unknown = sorted(set(in_parts) - set(factors))
        if unknown:
            raise ValueError(f"parts: unknown factor codes {unknown}")
        repeated = sorted({code for code in in_parts if in_parts.count(code) > 1})
        if repeated:
            raise ValueError(f"parts: a factor may belong to one part only, repeated: {repeated}")
        object.__setattr__(self, "factors", MappingProxyType(factors))
        object.__setattr__(self, "parts", MappingProxyType(parts))
        object.__setattr__(self, "expectation", expectation)
        object.__setattr__(self, "integrity", integrity)
        membership = np.zeros((len(factors), len(items)), dtype=np.float64)
        position = {code: j for j, code in enumerate(items)}
        for f, members in enumerate(factors.values()):
            membership[f, [position[code] for code in members]] = 1.0
        membership.setflags(write=False)
        object.__setattr__(self, "_membership", membership)

    # -- derived views -------------------------------------------------------------------------
    @property
    def items(self) -> tuple[str, ...]:
        """Satisfaction item codes in factor order (the ``J`` axis of the statistics)."""
        return tuple(code for members in self.factors.values() for code in members)

    @property
    def factor_codes(self) -> tuple[str, ...]:
        """Factor codes in order (the ``F`` axis)."""
        return tuple(self.factors)

    @property
    def part_codes(self) -> tuple[str, ...]:
        """Part codes in order."""
        return tuple(self.parts)

    @property
    def columns(self) -> tuple[str, ...]:
        """Answer-array column order: satisfaction items, expectation, integrity."""
        return self.items + self.expectation + self.integrity

    @property
    def membership(self) -> NDArray[np.float64]:
        """Read-only ``(F, J)`` 0/1 matrix: item ``j`` belongs to factor ``f``."""
        return self._membership

    @property
    def fingerprint(self) -> int:
        """CRC-32 of the canonical text of the structure (stored in serialised statistics)."""
        return zlib.crc32(self._canonical().encode("utf-8"))

    def _canonical(self) -> str:
        factors = ";".join(f"{k}={','.join(v)}" for k, v in self.factors.items())
        parts = ";".join(f"{k}={','.join(v)}" for k, v in self.parts.items())
        return f"F[{factors}]P[{parts}]X[{','.join(self.expectation)}]Q[{','.join(self.integrity)}]"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Structure):
            return NotImplemented
        return self._canonical() == other._canonical()

    def __hash__(self) -> int:
        return hash(self._canonical())


def _validate_codes(codes: object, name: str) -> tuple[str, ...]:
    if isinstance(codes, str) or not isinstance(codes, tuple | list):
        raise ValueError(f"{name}: expected a tuple of codes, got {type(codes).__name__}")
    for code in codes:
        if not isinstance(code, str) or not code:
            raise ValueError(f"{name}: codes must be non-empty strings, got {code!r}")
    return tuple(codes)


def _validate_code_map(value: object, name: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{name}: expected a mapping code → tuple of codes")
    if not value:
        raise ValueError(f"{name}: must not be empty")
    result: dict[str, tuple[str, ...]] = {}
    for key, members in value.items():
        if not isinstance(key, str) or not key:
            raise ValueError(f"{name}: keys must be non-empty strings, got {key!r}")
        codes = _validate_codes(members, f"{name}[{key!r}]")
        if not codes:
            raise ValueError(f"{name}[{key!r}]: must list at least one code")
        result[key] = codes
    return result
