"""What to score and the responses to score it from: the :class:`Slice` (a day range, a
grouping, filters, targets) and responses as columns (:class:`Rows`), with the
questionnaire structures ``scoring`` needs (:func:`structure_of`).

The rest of the package builds on these: :mod:`.groups` turns rows and statistics vectors
into scored groups, :mod:`.scores` reads them from the database, :mod:`.filescore` from a
response file, :mod:`.halfmonths` keeps the closed half-months' statistics.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

import numpy as np
from flask_babel import gettext as _
from numpy.typing import NDArray

import forms
from forms import SectionKind
from scoring import TARGETS_90_85, TARGETS_2030, Cutoff, Structure
from survey_app.services.errors import InputError
from survey_app.services.storage import daystats

DIMENSIONS = (
    "unit",
    "counter",
    "procedure",
    "target_group",
    "channel",
    "day",
    "month",
    "quarter",
    "late",
)
# ``late`` (issue 14): a verified response's dossier was late ("tre_han") or not ("dung_han":
# early or on time); open responses have no dossier and are left out of such a grouping.
LATE_LABELS = ("", "dung_han", "tre_han")
PERIODS = ("day", "month", "quarter")
BUCKET_DIMENSIONS = frozenset({"unit", "target_group", "month", "quarter"})
# a half-month bucket may be broken down by one of these ("verified": "1" or "", issue 13)
BREAKDOWNS = ("channel", "procedure", "verified")
WHERE_DIMENSIONS = ("target_group", "channel", "procedure", "verified")
# Which responses a slice is restricted to (issue 13): a verified response was made through
# its dossier's invitation, an open one through a counter's QR card, a kiosk, the API or a
# file.  As a filter: ("verified", "1") or ("verified", "").
RESPONSES = {"all": (), "verified": (("verified", "1"),), "open": (("verified", ""),)}
DAY_DIMENSIONS = frozenset(
    {"unit", "counter", "procedure", "target_group", "channel", "day", "month", "quarter"}
)
LAND = "dat_dai_xay_dung_dau_tu"
TARGET_SETS = {"90-85": (TARGETS_90_85,), "2030": (TARGETS_2030, TARGETS_90_85)}
EPOCH = date(1970, 1, 1)


class ScoreError(InputError):
    """A request that cannot be scored; the message says why (CLI: exit code 2)."""


@dataclass(frozen=True)
class Slice:
    """What to score: a day range (inclusive, Vietnamese local days) and the grouping."""

    start: date | None = None
    end: date | None = None
    by: tuple[str, ...] = ()
    cutoff: Cutoff = Cutoff.CALENDAR
    unit_code: str | None = None
    min_n: int = 30
    targets: str = "90-85"
    aggregate: str = "pool"  # or "mean": a parent as the mean of its children's indices;
    # "own": each unit its own responses only (no pooling; the ranking of serving units)
    where: tuple[tuple[str, str], ...] = ()  # only the responses with these values
    # (target group, channel — "" unknown —, procedure code — "" none, verified — "1" or "")

    @property
    def dimensions(self) -> tuple[str, ...]:
        """The grouping; a counter code is only unique within its unit, so ``counter``
        brings ``unit`` with it."""
        if "counter" in self.by and "unit" not in self.by:
            return ("unit", *self.by)
        return self.by

    def __post_init__(self) -> None:
        unknown = [d for d in self.by if d not in DIMENSIONS]
        if unknown:
            raise ScoreError(
                _(
                    "--by: không có chiều %(name)r; dùng một trong %(names)s",
                    name=unknown[0],
                    names=", ".join(DIMENSIONS),
                )
            )
        if len(set(self.by)) != len(self.by):
            raise ScoreError(_("--by: một chiều bị lặp lại"))
        if self.start and self.end and self.start > self.end:
            raise ScoreError(_("--from sau --to"))
        if self.aggregate not in ("pool", "mean", "own"):
            raise ScoreError(_("--aggregate: dùng pool hoặc mean"))
        if self.targets not in TARGET_SETS:
            raise ScoreError(_("--targets: dùng một trong %(names)s", names=", ".join(TARGET_SETS)))
        names = [d for d, _value in self.where]
        if any(d not in WHERE_DIMENSIONS for d in names) or len(set(names)) != len(names):
            raise ScoreError(f"where: filter once each by {', '.join(WHERE_DIMENSIONS)}")
        if dict(self.where).get("verified", "") not in ("", "1"):
            raise ScoreError("where: verified is '1' or ''")
        if "late" in self.by and dict(self.where).get("verified") == "":
            raise ScoreError(_("--by late: chỉ phiếu xác thực có hồ sơ; không dùng với phiếu mở"))

    @property
    def responses(self) -> str:
        """``all``, ``verified`` or ``open``: which responses the slice holds."""
        value = dict(self.where).get("verified")
        return "all" if value is None else ("verified" if value == "1" else "open")


@dataclass
class Rows:
    """Responses as columns. Text columns are dictionary-encoded: ``values[codes[i]]``."""

    day: NDArray[np.int32]  # days since 1970-01-01 (local day)
    text: dict[str, tuple[NDArray[np.int32], tuple[str, ...]]]  # unit, counter, procedure,
    # target_group, channel, questionnaire, and verified ("1", or "" for an open response;
    # absent = every response open)
    answers: NDArray[np.int8]  # (n, len(forms.all_item_codes())), 0 = missing

    @property
    def n(self) -> int:
        return int(self.day.shape[0])

    def take(self, mask: NDArray[np.bool_]) -> Rows:
        """The responses where ``mask`` is true (texts keep their values)."""
        return Rows(
            day=self.day[mask],
            text={k: (codes[mask], values) for k, (codes, values) in self.text.items()},
            answers=self.answers[mask],
        )

    def matching(self, where: Sequence[tuple[str, str]]) -> Rows:
        """The responses whose labels match every filter of ``where`` (dimension, value)."""
        if not where or self.n == 0:
            return self
        keep = np.ones(self.n, dtype=bool)
        for dim, value in where:
            if dim not in self.text:  # a file without the verified column: all open
                if value:
                    keep[:] = False
                continue
            codes, values = self.text[dim]
            keep &= codes == (values.index(value) if value in values else -1)
        return self if keep.all() else self.take(keep)


@cache
def structure_of(version: str) -> Structure:
    """The items → factors → parts structure of a questionnaire version, for ``scoring``."""
    q = forms.get(version)
    return Structure(
        factors=q.factors(),
        parts=q.parts(),
        expectation=q.codes_of(SectionKind.EXPECTATION),
        integrity=q.codes_of(SectionKind.INTEGRITY),
    )


def encode(values: Sequence[str]) -> tuple[NDArray[np.int32], tuple[str, ...]]:
    """Dictionary-encode a text column."""
    labels, codes = np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True)
    return codes.astype(np.int32), tuple(str(v) for v in labels)


def rows_from_records(
    records: Iterable[tuple[date, str, str, str, str, str, str, dict[str, int]]],
    verified: Sequence[bool] | None = None,
) -> Rows:
    """Build :class:`Rows` from (day, unit, counter, procedure, target_group, channel,
    questionnaire, answers) tuples (``verified``: each response's, default all open)."""
    records = list(records)
    epoch = EPOCH.toordinal()
    days = np.array([r[0].toordinal() - epoch for r in records], dtype=np.int32)
    text = {
        key: encode([str(r[i] or "") for r in records])
        for i, key in enumerate(
            ("unit", "counter", "procedure", "target_group", "channel", "questionnaire"), 1
        )
    }
    flags = np.zeros(len(records), dtype=np.int32)
    if verified is not None:
        flags[:] = np.asarray(verified, dtype=bool)
    text["verified"] = (flags, VERIFIED_LABELS)
    return Rows(day=days, text=text, answers=daystats.answer_matrix([r[7] for r in records]))


VERIFIED_LABELS = ("", "1")  # the "verified" text column: code 0 open, 1 verified
