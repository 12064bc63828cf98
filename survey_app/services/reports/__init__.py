"""Periodic report packs (issue 5, points 1–4): the content of a report for a unit subtree
and a period, its charts, and the XLSX, PDF, CSV and HTML renderings.

Public interface (the web report page and ``sipas report`` use only this)::

    spec = ReportSpec("2026-Q1", cutoff="report", unit_code="MC")
    spec.validate()                       # ValueError with a Vietnamese message
    report = build(spec, unit_ids=None, progress=None)   # frozen dataclasses
    write(report, Path("bc.xlsx"), "xlsx")               # or "pdf", "csv", "zip"
    write_pack(report, folder, {"xlsx": "a.xlsx", "pdf": "a.pdf", "zip": "a.zip"})
    charts_svg(report)                    # {"xep_hang": svg, "xu_huong": svg, "ho_so": svg}

``fmt="csv"`` writes a zip archive with one UTF-8 CSV (with BOM) per table; ``fmt="zip"``
writes a zip with the XLSX, the PDF and those CSVs. The HTML partial is
``templates/reports/_content.html`` (variables ``report`` and optional ``chart_urls``:
chart key → URL of an image route serving :func:`charts_svg`).

Importing this package loads neither numpy nor matplotlib, reportlab or openpyxl; they are
loaded by the functions that need them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from survey_app.services.reports.model import (
    Column,
    CommentGroup,
    Profile,
    Report,
    Summary,
    Table,
    TrendPoint,
    UnitBar,
)
from survey_app.services.reports.spec import ReportSpec

FORMATS = ("xlsx", "pdf", "csv", "zip")
CHART_KEYS = ("xep_hang", "xu_huong", "ho_so")

# ``progress(fraction, message)``: the message is a Vietnamese gettext msgid marked with
# :func:`N_` (pages show it in the reader's language).
Progress = Callable[[float, str], None]

__all__ = [
    "CHART_KEYS",
    "FORMATS",
    "N_",
    "Column",
    "CommentGroup",
    "Profile",
    "Report",
    "ReportError",
    "ReportSpec",
    "Summary",
    "Table",
    "TrendPoint",
    "UnitBar",
    "build",
    "charts_svg",
    "write",
    "write_pack",
]


def N_(text: str) -> str:  # noqa: N802 - the gettext marker: extracted, translated on display
    return text


class ReportError(ValueError):
    """A report that cannot be made (unknown unit, unit outside the caller's scope…); the
    message is Vietnamese and meant for the user.

    A fixed text is a gettext msgid (marked with :func:`N_`) with ``%(name)s`` placeholders
    filled from ``params``: ``str(error)`` is the Vietnamese text, while ``msgid`` and
    ``params`` let a page show it in the reader's language."""

    def __init__(self, msgid: str, **params: str | int | float) -> None:
        super().__init__(msgid % params if params else msgid)
        self.msgid = msgid
        self.params = params


def build(
    spec: ReportSpec, unit_ids: list[int] | None = None, progress: Progress | None = None
) -> Report:
    """The content of the report for ``spec``.

    ``unit_ids``: the units the caller may see (``services.scope``; ``None`` = every unit).
    ``spec.unit_code`` must be one of them; without it the report covers the caller's top
    unit (an error when the scope has several separate top units). ``progress(fraction,
    message)`` is called as the work advances (fraction 0…1). Raises :class:`ReportError`
    (or ``ValueError`` from ``spec.validate``).
    """
    from survey_app.services.reports.content import (
        build_report,  # numpy, scipy: only when a report is made
    )

    return build_report(spec, unit_ids, progress)


def write(report: Report, out: Path, fmt: str) -> Path:
    """Write ``report`` to ``out`` in ``fmt`` (``xlsx``, ``pdf``, ``csv`` = zip of CSVs,
    ``zip`` = everything); returns ``out``."""
    if fmt not in FORMATS:
        raise ValueError(f"Định dạng “{fmt}” không hỗ trợ: dùng {', '.join(FORMATS)}.")
    from survey_app.services.reports.writers import write_format

    return write_format(report, Path(out), fmt)


def write_pack(
    report: Report, folder: Path, names: dict[str, str], step: Callable[[str], None] | None = None
) -> dict[str, Path]:
    """Write the formats ``names`` (``xlsx``, ``pdf``, ``zip`` → file name) into
    ``folder``, rendering the XLSX and the PDF once each: the zip holds those same files
    (and a CSV of each table). ``step(fmt)`` is called before each file."""
    from survey_app.services.reports.writers import write_pack as _write_pack

    return _write_pack(report, Path(folder), names, step)


def charts_svg(report: Report) -> dict[str, str]:
    """The report's charts as SVG text, keyed by :data:`CHART_KEYS`."""
    from survey_app.services.reports.charts import render_all

    return {key: data.decode("utf-8") for key, data in render_all(report, "svg").items()}
