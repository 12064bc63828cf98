"""Additive sufficient statistics of a group of responses.

Everything the scores and their intervals need is a sum over respondents, so the web
application can keep one record per day × unit × counter × … and add records for any
slice and date range without re-reading answers.

Layout for a structure with ``J`` satisfaction items, ``F`` factors, ``Kx`` expectation
and ``Kq`` integrity items (``G`` groups for :class:`StatsBatch`, absent for one group):

============================  ==================  =============================================
field                         shape (int64)       meaning (sum over respondents ``i``)
============================  ==================  =============================================
``n``                         ``(G,)``            respondents (answer rows)
``counts``                    ``(G, J, 5)``       answers equal to 1..5 per item
``cross``                     ``(G, 2J, 2J)``     ``Σ v_i v_iᵀ``, ``v_i = [s_i1..s_iJ, r_i1..r_iJ]``
``factor_n``                  ``(G, F)``          respondents with ≥ 1 valid answer in the factor
``expectation_counts``        ``(G, Kx, 4)``      answers equal to 1..4 per expectation item
``integrity_counts``          ``(G, Kq, 3)``      answers equal to 1..3 per integrity item
============================  ==================  =============================================

where ``s_ij = 1`` if respondent ``i`` answered item ``j`` with 4 or 5, and ``r_ij = 1`` if
they answered it with 1..5 (0 = missing / no opinion is not a valid answer).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .structure import Structure

__all__ = ["StatsBatch", "SufficientStats", "stats_length"]

Int64Array = NDArray[np.int64]

_MAGIC = 0x5349504153  # "SIPAS"
_FORMAT_VERSION = 1
_HEADER_LENGTH = 4
# Float32 matrix products are exact while every partial sum stays below 2**24.
_EXACT_ROWS = 1 << 23
_SMALL_GROUP = 2  # groups below: running sums; from 2 rows one BLAS product (measured faster)
_SMALL_CHUNK = 8192


def stats_length(structure: Structure) -> int:
    """Length of the flat additive int64 vector of one group (:meth:`SufficientStats.to_vector`).

    ``1 + 5J + 2J(2J+1)/2 + F + 4Kx + 3Kq``; 644 for the 16-item SIPAS service form with
    5 factors, 6 expectation and 2 integrity items.

    Examples
    --------
    >>> s = Structure(factors={"A": ("A1",)}, parts={"DV": ("A",)})
    >>> stats_length(s)  # 1 + 5 + 3 + 1
    10
    """
    j = len(structure.items)
    return (
        1
        + 5 * j
        + (2 * j) * (2 * j + 1) // 2
        + len(structure.factors)
        + 4 * len(structure.expectation)
        + 3 * len(structure.integrity)
    )


@dataclass(frozen=True, eq=False)
class StatsBatch:
    """Sufficient statistics of ``G`` groups answering the same :class:`Structure`.

    Arrays are int64 and read-only; shapes are listed in the module docstring. Add two
    batches with ``+`` (same structure and ``G``), take one group with ``batch[g]``.

    Examples
    --------
    >>> s = Structure(factors={"A": ("A1",)}, parts={"DV": ("A",)})
    >>> answers = np.array([[5], [3], [0]])
    >>> batch = StatsBatch.from_answers(s, answers, groups=np.array([0, 0, 1]), n_groups=2)
    >>> batch.n.tolist(), batch.counts[:, 0].tolist()
    ([2, 1], [[0, 0, 1, 0, 1], [0, 0, 0, 0, 0]])
    """

    structure: Structure
    n: Int64Array
    counts: Int64Array
    cross: Int64Array
    factor_n: Int64Array
    expectation_counts: Int64Array
    integrity_counts: Int64Array

    def __post_init__(self) -> None:
        _validate_arrays(self, batch=True)

    @property
    def n_groups(self) -> int:
        """Number of groups ``G``."""
        return int(self.n.shape[0])

    def __len__(self) -> int:
        return self.n_groups

    def __getitem__(self, g: int) -> SufficientStats:
        return SufficientStats(
            self.structure,
            self.n[g],
            self.counts[g],
            self.cross[g],
            self.factor_n[g],
            self.expectation_counts[g],
            self.integrity_counts[g],
        )

    def __add__(self, other: object) -> StatsBatch:
        if not isinstance(other, StatsBatch):
            return NotImplemented
        if other.structure != self.structure:
            raise ValueError("other: statistics of different structures cannot be added")
        if other.n_groups != self.n_groups:
            raise ValueError(f"other: {other.n_groups} groups, expected {self.n_groups}")
        return StatsBatch(self.structure, *_sum_fields(self, other))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StatsBatch):
            return NotImplemented
        return _fields_equal(self, other)

    __hash__ = None  # type: ignore[assignment]

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def zeros(cls, structure: Structure, n_groups: int) -> StatsBatch:
        """Empty statistics for ``n_groups`` groups."""
        _validate_n_groups(n_groups)
        return cls.from_vectors(structure, np.zeros((n_groups, stats_length(structure)), np.int64))

    @classmethod
    def stack(cls, stats: Sequence[SufficientStats]) -> StatsBatch:
        """Stack single-group statistics of one structure into a batch."""
        if not stats:
            raise ValueError("stats: need at least one SufficientStats to stack")
        structure = stats[0].structure
        for one in stats:
            if one.structure != structure:
                raise ValueError("stats: all statistics must share one structure")
        return cls(
            structure,
            *(np.stack([getattr(one, name) for one in stats]) for name in _FIELDS),
        )

    @classmethod
    def from_answers(
        cls,
        structure: Structure,
        answers: NDArray[np.integer],
        groups: NDArray[np.integer],
        n_groups: int | None = None,
    ) -> StatsBatch:
        """Compute the statistics of many groups from per-respondent answers.

        Parameters
        ----------
        structure : Structure
            The questionnaire structure; ``answers`` columns follow ``structure.columns``.
        answers : ndarray of int, shape (N, C)
            Answer codes, 0 = missing / no opinion; satisfaction 0–5, expectation 0–4,
            integrity 0–3.
        groups : ndarray of int, shape (N,)
            Group number ``0 ≤ g < n_groups`` of each respondent.
        n_groups : int, optional
            Number of groups (default ``groups.max() + 1``).

        Returns
        -------
        StatsBatch

        Notes
        -----
        Counts use ``bincount``; the cross-products use exact float32 matrix products
        (one per large group) and summed outer products (all small groups at once).
        """
        answers = _validate_answers(structure, answers)
        group_ids = _validate_groups(groups, answers.shape[0])
        if n_groups is None:
            n_groups = int(group_ids.max()) + 1 if group_ids.size else 0
        _validate_n_groups(n_groups)
        if group_ids.size and int(group_ids.max()) >= n_groups:
            raise ValueError(f"groups: values must be below n_groups={n_groups}")
        return _batch_from_answers(structure, answers, group_ids, n_groups)

    @classmethod
    def from_vectors(cls, structure: Structure, vectors: NDArray[np.integer]) -> StatsBatch:
        """Rebuild a batch from a ``(G, L)`` int64 array of :meth:`to_vectors` rows."""
        length = stats_length(structure)
        array = np.asarray(vectors)
        shape_ok = array.ndim == 2 and array.shape[1] == length
        if not shape_ok or not np.issubdtype(array.dtype, np.integer):
            raise ValueError(f"vectors: expected an integer array of shape (G, {length})")
        return cls(structure, *_unflatten(structure, array.astype(np.int64)))

    def to_vectors(self) -> Int64Array:
        """``(G, L)`` int64 array, one additive row per group (as ``to_vector``)."""
        return _flatten(self)

    def total(self) -> SufficientStats:
        """Statistics of the union of all groups (the sum over ``G``)."""
        return SufficientStats(
            self.structure, *(getattr(self, name).sum(axis=0) for name in _FIELDS)
        )


@dataclass(frozen=True, eq=False)
class SufficientStats:
    """Additive sufficient statistics of one group of responses.

    ``stats_a + stats_b`` are the statistics of the union of the two groups; ``sum()``
    over a list works too. Serialise with :meth:`to_vector` (additive int64 vector, e.g. a
    PostgreSQL ``bigint[]``) or :meth:`to_bytes` (header + little-endian int64).

    Examples
    --------
    >>> s = Structure(factors={"A": ("A1", "A2")}, parts={"DV": ("A",)})
    >>> a = SufficientStats.from_answers(s, np.array([[5, 0], [3, 4]]))
    >>> a.n, a.counts.tolist()
    (2, [[0, 0, 1, 0, 1], [0, 0, 0, 1, 0]])
    >>> a.cross.tolist()[0]  # row s_A1: Σ s_A1·[s_A1, s_A2, r_A1, r_A2]
    [1, 0, 1, 0]
    >>> (a + a).n
    4
    """

    structure: Structure
    n: int
    counts: Int64Array
    cross: Int64Array
    factor_n: Int64Array
    expectation_counts: Int64Array
    integrity_counts: Int64Array

    def __post_init__(self) -> None:
        _validate_arrays(self, batch=False)

    @classmethod
    def zeros(cls, structure: Structure) -> SufficientStats:
        """Empty statistics (the neutral element of ``+``)."""
        return cls.from_vector(structure, np.zeros(stats_length(structure), np.int64))

    @classmethod
    def from_answers(cls, structure: Structure, answers: NDArray[np.integer]) -> SufficientStats:
        """Statistics of one group from an ``(n, C)`` answer array (0 = missing).

        Columns follow ``structure.columns``. See :meth:`StatsBatch.from_answers`.
        """
        answers = _validate_answers(structure, answers)
        groups = np.zeros(answers.shape[0], dtype=np.intp)
        return _batch_from_answers(structure, answers, groups, 1)[0]

    @classmethod
    def from_vector(cls, structure: Structure, vector: NDArray[np.integer]) -> SufficientStats:
        """Rebuild statistics from the flat vector written by :meth:`to_vector`."""
        array = np.asarray(vector)
        length = stats_length(structure)
        if array.shape != (length,) or not np.issubdtype(array.dtype, np.integer):
            raise ValueError(f"vector: expected an integer array of shape ({length},)")
        return StatsBatch.from_vectors(structure, array[None, :])[0]

    def to_vector(self) -> Int64Array:
        """Flat additive int64 vector of length :func:`stats_length`.

        Order: ``n``, ``counts`` (row-major ``J × 5``), the upper triangle of ``cross``
        including the diagonal (row-major), ``factor_n``, ``expectation_counts``
        (row-major ``Kx × 4``), ``integrity_counts`` (row-major ``Kq × 3``). Element-wise sums
        of vectors are the vectors of the union.
        """
        vector: Int64Array = _flatten(StatsBatch.stack([self]))[0]
        return vector

    def to_bytes(self) -> bytes:
        """Compact bytes: int64 header ``[magic, format, structure fingerprint, L]`` + vector.

        All values little-endian int64; 5,184 bytes for the 16-item SIPAS service form.
        """
        vector = self.to_vector()
        header = np.array(
            [_MAGIC, _FORMAT_VERSION, self.structure.fingerprint, vector.size], dtype="<i8"
        )
        return header.tobytes() + vector.astype("<i8").tobytes()

    @classmethod
    def from_bytes(cls, structure: Structure, data: bytes) -> SufficientStats:
        """Read bytes written by :meth:`to_bytes`; checks the structure fingerprint."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise ValueError("data: expected bytes")
        raw = bytes(data)
        if len(raw) < 8 * _HEADER_LENGTH or len(raw) % 8:
            raise ValueError("data: too short or not a whole number of int64 values")
        values = np.frombuffer(raw, dtype="<i8").astype(np.int64)
        magic, version, fingerprint, length = (int(v) for v in values[:_HEADER_LENGTH])
        if magic != _MAGIC or version != _FORMAT_VERSION:
            raise ValueError("data: not SIPAS sufficient statistics of a known format")
        if fingerprint != structure.fingerprint:
            raise ValueError("data: written for a different questionnaire structure")
        if length != values.size - _HEADER_LENGTH:
            raise ValueError("data: length in header does not match the payload")
        return cls.from_vector(structure, values[_HEADER_LENGTH:])

    def __add__(self, other: object) -> SufficientStats:
        if not isinstance(other, SufficientStats):
            return NotImplemented
        if other.structure != self.structure:
            raise ValueError("other: statistics of different structures cannot be added")
        return SufficientStats(self.structure, *_sum_fields(self, other))

    def __radd__(self, other: object) -> SufficientStats:
        if isinstance(other, int) and other == 0:  # lets sum() start from 0
            return self
        return NotImplemented

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SufficientStats):
            return NotImplemented
        return _fields_equal(self, other)

    __hash__ = None  # type: ignore[assignment]


# ---------------------------------------------------------------------------------------------
_FIELDS = ("n", "counts", "cross", "factor_n", "expectation_counts", "integrity_counts")


def _shapes(structure: Structure) -> dict[str, tuple[int, ...]]:
    j = len(structure.items)
    return {
        "n": (),
        "counts": (j, 5),
        "cross": (2 * j, 2 * j),
        "factor_n": (len(structure.factors),),
        "expectation_counts": (len(structure.expectation), 4),
        "integrity_counts": (len(structure.integrity), 3),
    }


def _validate_arrays(stats: StatsBatch | SufficientStats, *, batch: bool) -> None:
    if not isinstance(stats.structure, Structure):
        raise ValueError("structure: expected a Structure")
    lead: tuple[int, ...] = ()
    if batch:
        n = np.asarray(stats.n)
        if n.ndim != 1:
            raise ValueError("n: expected a 1-D array of respondent counts")
        lead = (n.shape[0],)
    for name, shape in _shapes(stats.structure).items():
        value = np.asarray(getattr(stats, name))
        if not np.issubdtype(value.dtype, np.integer):
            raise ValueError(f"{name}: expected integers, got dtype {value.dtype}")
        if value.shape != lead + shape:
            raise ValueError(f"{name}: expected shape {lead + shape}, got {value.shape}")
        if value.size and int(value.min()) < 0:
            raise ValueError(f"{name}: counts must not be negative")
        value = value.astype(np.int64, copy=True)
        value.setflags(write=False)
        object.__setattr__(stats, name, value if value.ndim else int(value))


def _sum_fields(a: StatsBatch | SufficientStats, b: StatsBatch | SufficientStats) -> list[Any]:
    return [np.add(getattr(a, name), getattr(b, name)) for name in _FIELDS]


def _fields_equal(a: StatsBatch | SufficientStats, b: StatsBatch | SufficientStats) -> bool:
    return a.structure == b.structure and all(
        np.array_equal(getattr(a, name), getattr(b, name)) for name in _FIELDS
    )


def _flatten(batch: StatsBatch) -> Int64Array:
    g = batch.n_groups
    upper = np.triu_indices(batch.cross.shape[1])
    return np.concatenate(
        [
            batch.n[:, None],
            batch.counts.reshape(g, -1),
            batch.cross[:, upper[0], upper[1]],
            batch.factor_n,
            batch.expectation_counts.reshape(g, -1),
            batch.integrity_counts.reshape(g, -1),
        ],
        axis=1,
    ).astype(np.int64)


def _unflatten(structure: Structure, array: Int64Array) -> list[Int64Array]:
    shapes = _shapes(structure)
    g = array.shape[0]
    size_2j = shapes["cross"][0]
    upper = np.triu_indices(size_2j)
    sizes = [1, 5 * len(structure.items), upper[0].size, len(structure.factors)]
    sizes += [4 * len(structure.expectation), 3 * len(structure.integrity)]
    pieces = np.split(array, np.cumsum(sizes)[:-1], axis=1)
    cross = np.zeros((g, size_2j, size_2j), dtype=np.int64)
    cross[:, upper[0], upper[1]] = pieces[2]
    cross[:, upper[1], upper[0]] = pieces[2]
    return [
        pieces[0][:, 0],
        pieces[1].reshape((g, *shapes["counts"])),
        cross,
        pieces[3],
        pieces[4].reshape((g, *shapes["expectation_counts"])),
        pieces[5].reshape((g, *shapes["integrity_counts"])),
    ]


def _validate_n_groups(n_groups: object) -> None:
    if not isinstance(n_groups, int | np.integer) or isinstance(n_groups, bool) or n_groups < 0:
        raise ValueError(f"n_groups: expected a non-negative integer, got {n_groups!r}")


def _validate_groups(groups: object, n_rows: int) -> NDArray[np.intp]:
    array = np.asarray(groups)
    if array.ndim != 1 or array.shape[0] != n_rows:
        raise ValueError(f"groups: expected a 1-D array of length {n_rows} (rows of answers)")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"groups: expected integers, got dtype {array.dtype}")
    if array.size and int(array.min()) < 0:
        raise ValueError("groups: group numbers must not be negative")
    return array.astype(np.intp, copy=False)


def _validate_answers(structure: Structure, answers: object) -> NDArray[np.int8]:
    array = np.asarray(answers)
    columns = structure.columns
    if array.ndim != 2 or array.shape[1] != len(columns):
        raise ValueError(
            f"answers: expected shape (n, {len(columns)}) with columns {list(columns)}, "
            f"got {array.shape}"
        )
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"answers: expected integer answer codes, got dtype {array.dtype}")
    j, kx = len(structure.items), len(structure.expectation)
    if array.size:
        low = array.min(axis=0)
        high = array.max(axis=0)
        maxima = np.array([5] * j + [4] * kx + [3] * len(structure.integrity))
        bad = np.flatnonzero((low < 0) | (high > maxima))
        if bad.size:
            code = columns[int(bad[0])]
            raise ValueError(
                f"answers: column {code} must hold 0 (missing) to {int(maxima[bad[0]])}, "
                f"found {int(low[bad[0]])}..{int(high[bad[0]])}"
            )
    return array.astype(np.int8, copy=False)


def _value_counts(
    values: NDArray[np.int8], groups: NDArray[np.intp], n_groups: int, n_levels: int
) -> Int64Array:
    """``(G, K, n_levels)`` counts of values ``1..n_levels`` per group and column."""
    k = values.shape[1]
    if k == 0:
        return np.zeros((n_groups, 0, n_levels), dtype=np.int64)
    base = n_levels + 1
    index = (groups[:, None] * k + np.arange(k)) * base + values
    counts = np.bincount(index.ravel(), minlength=n_groups * k * base)
    return counts.reshape(n_groups, k, base)[:, :, 1:].astype(np.int64)


def _batch_from_answers(
    structure: Structure, answers: NDArray[np.int8], groups: NDArray[np.intp], n_groups: int
) -> StatsBatch:
    j, kx = len(structure.items), len(structure.expectation)
    satisfaction = answers[:, :j]
    counts = np.zeros((n_groups, j, 5), dtype=np.int64)
    factor_n = np.zeros((n_groups, len(structure.factors)), dtype=np.int64)
    x_counts = np.zeros((n_groups, kx, 4), dtype=np.int64)
    q_counts = np.zeros((n_groups, len(structure.integrity), 3), dtype=np.int64)
    membership = structure.membership.astype(np.int32)
    step = 1 << 20
    for start in range(0, answers.shape[0], step):  # bounded memory for huge inputs
        rows = slice(start, start + step)
        g = groups[rows]
        counts += _value_counts(satisfaction[rows], g, n_groups, 5)
        x_counts += _value_counts(answers[rows, j : j + kx], g, n_groups, 4)
        q_counts += _value_counts(answers[rows, j + kx :], g, n_groups, 3)
        answered = (satisfaction[rows] > 0).astype(np.int32) @ membership.T > 0
        for f in range(factor_n.shape[1]):
            factor_n[:, f] += np.bincount(g[answered[:, f]], minlength=n_groups)
    n = np.bincount(groups, minlength=n_groups).astype(np.int64)
    cross = _cross_products(satisfaction, groups, n_groups)
    return StatsBatch(structure, n, counts, cross, factor_n, x_counts, q_counts)


def _indicators(satisfaction: NDArray[np.int8]) -> NDArray[np.uint8]:
    return np.concatenate([satisfaction >= 4, satisfaction > 0], axis=1).astype(np.uint8)


def _cross_products(
    satisfaction: NDArray[np.int8], groups: NDArray[np.intp], n_groups: int
) -> Int64Array:
    """``(G, 2J, 2J)`` sums of ``v vᵀ`` per group, exact."""
    size = 2 * satisfaction.shape[1]
    cross = np.zeros((n_groups, size, size), dtype=np.int64)
    if satisfaction.shape[0] == 0:
        return cross
    if n_groups == 1 or np.all(groups[1:] >= groups[:-1]):
        sorted_groups = groups
    else:
        small_type = np.int16 if n_groups <= np.iinfo(np.int16).max else np.int32
        keys = groups.astype(small_type) if n_groups <= np.iinfo(np.int32).max else groups
        order = np.argsort(keys, kind="stable")  # radix sort for 16/32-bit keys
        sorted_groups = groups[order]
        satisfaction = satisfaction[order]
    bounds = np.searchsorted(sorted_groups, np.arange(n_groups + 1))
    sizes = np.diff(bounds)

    for g in np.flatnonzero(sizes >= _SMALL_GROUP):  # large groups: one BLAS product each
        for lo in range(int(bounds[g]), int(bounds[g + 1]), _EXACT_ROWS):
            hi = min(lo + _EXACT_ROWS, int(bounds[g + 1]))
            block = _indicators(satisfaction[lo:hi]).astype(np.float32)
            cross[g] += (block.T @ block).astype(np.int64)
    small = np.flatnonzero((sizes > 0) & (sizes < _SMALL_GROUP))
    if small.size:  # small groups: running sums of the outer products, differenced per group
        upper = np.triu_indices(size)
        off = upper[0] != upper[1]
        flat_upper = upper[0] * size + upper[1]
        flat_lower = (upper[1] * size + upper[0])[off]
        cumulative = np.concatenate([[0], np.cumsum(sizes[small])])
        positions = np.repeat(bounds[small] - cumulative[:-1], sizes[small])
        positions += np.arange(int(cumulative[-1]))
        first = 0
        while first < small.size:
            last = int(np.searchsorted(cumulative, cumulative[first] + _SMALL_CHUNK, "right")) - 1
            last = min(max(last, first + 1), small.size)
            index = positions[int(cumulative[first]) : int(cumulative[last])]
            v = np.ascontiguousarray(_indicators(satisfaction[index]).T)  # (2J, rows)
            outer = v[upper[0]] & v[upper[1]]  # (2J(2J+1)/2, rows) of 0/1, rows contiguous
            running = np.zeros((outer.shape[0], outer.shape[1] + 1), dtype=np.int32)
            np.cumsum(outer, axis=1, dtype=np.int32, out=running[:, 1:])
            ends = (cumulative[first + 1 : last + 1] - cumulative[first]).astype(np.intp)
            starts = (cumulative[first:last] - cumulative[first]).astype(np.intp)
            sums = running[:, ends] - running[:, starts]  # (2J(2J+1)/2, groups)
            block = np.empty((size * size, last - first), dtype=np.int64)
            block[flat_upper] = sums
            block[flat_lower] = sums[off]  # the mirror image
            cross[small[first:last]] += block.T.reshape(-1, size, size)
            first = last
    return cross
