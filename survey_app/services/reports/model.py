"""The content of a report as frozen dataclasses: every writer (XLSX, PDF, CSV, HTML) renders
the same :class:`Report`, so the formats cannot disagree.

A :class:`Table` is typed by column: ``text``, ``int``, ``pct`` (a percentage, two
decimals), ``pp`` (a signed change in percentage points), ``ci`` (an interval: a
``(low, high)`` pair, two numeric columns in XLSX and CSV, "88,10–91,20" in PDF and HTML).
Numbers stay numbers (``None`` = no value) until a writer formats them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from survey_app.services.reports.formatting import DASH, number
from survey_app.services.reports.spec import ReportSpec

Cell = str | int | float | tuple[float | None, float | None] | None
KINDS = ("text", "int", "pct", "pp", "ci")
SUBTITLE = (
    "Chỉ số hài lòng của người dân, tổ chức đối với sự phục vụ của cơ quan hành chính nhà nước"
)


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    kind: str = "text"
    width: float = 1.0  # relative width in the PDF

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind: {self.kind!r}")

    def text(self, value: Cell) -> str:
        """A cell of this column as printed (decimal comma, one decimal)."""
        return cell_text(self, value)


def cell_text(column: Column, value: Cell) -> str:
    """A cell as text for the PDF and HTML."""
    if value is None:
        return "" if column.kind == "text" else DASH
    if column.kind == "int":
        return number(float(value), 0)  # type: ignore[arg-type]
    if column.kind == "pct":
        return number(value)  # type: ignore[arg-type]
    if column.kind == "pp":
        return number(value, signed=True)  # type: ignore[arg-type]
    if column.kind == "ci":
        if not isinstance(value, tuple):
            return DASH
        low, high = value
        if low is None or high is None:
            return DASH
        return f"{number(low)}–{number(high)}"
    return str(value)


def is_numeric(column: Column) -> bool:
    return column.kind != "text"


@dataclass(frozen=True)
class Table:
    """One table: an XLSX sheet, a CSV file, a captioned table in the PDF and HTML."""

    key: str  # sheet and file name (ASCII, ≤ 31 characters)
    title: str  # caption
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""
    # The unit tree: each row's depth (0 = top), by which writers indent the "don_vi"
    # column; empty for a flat table.
    depths: tuple[int, ...] = ()

    def depth(self, row: int) -> int:
        return self.depths[row] if self.depths else 0

    def column(self, key: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.key == key)


def csv_header(table: Table) -> list[str]:
    header = []
    for column in table.columns:
        if column.kind == "ci":
            header += [f"{column.title} – cận dưới", f"{column.title} – cận trên"]
        else:
            header.append(column.title)
    return header


@dataclass(frozen=True)
class Summary:
    respondents: int
    sipas: float | None
    ci_low: float | None
    ci_high: float | None
    target: float | None
    flag: str
    units_ranked: int  # units with responses in the period
    units_assessed: int  # … with at least the minimum sample
    units_meeting: int  # … whose SIPAS meets their target
    land_respondents: int
    land_sipas: float | None
    land_ci_low: float | None
    land_ci_high: float | None
    land_units_assessed: int
    land_units_meeting: int

    def show(self, name: str, decimals: int = 1) -> str:
        """A figure as printed ("90,1"; "–" when there is none)."""
        return number(getattr(self, name), decimals)


@dataclass(frozen=True)
class UnitBar:
    """A unit in the ranking chart."""

    code: str
    name: str
    n: int
    sipas: float | None
    ci_low: float | None
    ci_high: float | None
    target: float | None  # None: no target set in force for the period


@dataclass(frozen=True)
class TrendPoint:
    period: str  # short Vietnamese label ("Quý I/2026")
    n: int
    sipas: float | None
    factors: tuple[tuple[str, float | None], ...]  # (A, index) … (E, index)


@dataclass(frozen=True)
class Profile:
    """Factor profile of one unit against its parent (or the whole report)."""

    unit_name: str
    parent_name: str
    unit: tuple[tuple[str, float | None], ...]  # factors and SIPAS
    parent: tuple[tuple[str, float | None], ...]


@dataclass(frozen=True)
class CommentGroup:
    factor: str  # "A" … "E", or "" (no factor answered)
    title: str
    comments: tuple[tuple[str, str, str], ...]  # (local day dd/mm/yyyy, unit name, text)
    total: int  # comments in the period grouped under this factor


@dataclass(frozen=True)
class Report:
    spec: ReportSpec
    title: str
    period_label: str  # "Quý I/2026 (từ 15/12/2025 đến 14/3/2026)"
    previous_label: str
    start: date
    end: date
    unit_code: str | None
    unit_name: str
    generated_at: datetime
    summary: Summary
    tables: tuple[Table, ...]
    ranking: tuple[UnitBar, ...] = ()
    ranking_note: str = ""
    trend: tuple[TrendPoint, ...] = ()
    profile: Profile | None = None
    comments: tuple[CommentGroup, ...] = ()
    methods: tuple[str, ...] = ()
    sources: tuple[tuple[str, int], ...] = field(default=())

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)

    @property
    def table_keys(self) -> tuple[str, ...]:
        return tuple(t.key for t in self.tables)
