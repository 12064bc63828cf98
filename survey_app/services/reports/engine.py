"""The report engine's public interface: build a report, write it, draw its charts.

Loads numpy, scipy, matplotlib, reportlab, openpyxl and python-docx: reach it through the package
(``reports.build``, ``reports.write``…), which loads this module on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from survey_app.services.reports.charts import render_all
from survey_app.services.reports.content import build_report
from survey_app.services.reports.letterhead import Letterhead
from survey_app.services.reports.model import Report
from survey_app.services.reports.spec import ReportSpec
from survey_app.services.reports.writers import _docx, write_format
from survey_app.services.reports.writers import write_pack as _write_pack

FORMATS = ("xlsx", "pdf", "docx", "csv", "zip")
CHART_KEYS = ("xep_hang", "xu_huong", "ho_so")

# ``progress(fraction, message)``: the message is a Vietnamese gettext msgid marked with
# :func:`~survey_app.services.reports.errors.N_` (pages show it in the reader's language).
Progress = Callable[[float, str], None]


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
    return build_report(spec, unit_ids, progress)


def write(report: Report, out: Path, fmt: str, letterhead: Letterhead | None = None) -> Path:
    """Write ``report`` to ``out`` in ``fmt`` (``xlsx``, ``pdf``, ``docx`` = the Nghị định 30
    document with ``letterhead``, ``csv`` = zip of CSVs, ``zip`` = XLSX, PDF and CSVs);
    returns ``out``."""
    if fmt not in FORMATS:
        raise ValueError(f"Định dạng “{fmt}” không hỗ trợ: dùng {', '.join(FORMATS)}.")
    if fmt == "docx":
        return write_format(report, Path(out), fmt, partial(_docx, letterhead=letterhead))
    return write_format(report, Path(out), fmt)


def write_pack(
    report: Report,
    folder: Path,
    names: dict[str, str],
    step: Callable[[str], None] | None = None,
    letterhead: Letterhead | None = None,
) -> dict[str, Path]:
    """Write the formats ``names`` (``xlsx``, ``pdf``, ``docx``, ``zip`` → file name) into
    ``folder``, rendering the XLSX and the PDF once each: the zip holds those same files
    (and a CSV of each table). ``step(fmt)`` is called before each file."""
    return _write_pack(report, Path(folder), names, step, letterhead)


def charts_svg(report: Report) -> dict[str, str]:
    """The report's charts as SVG text, keyed by :data:`CHART_KEYS`."""
    return {key: data.decode("utf-8") for key, data in render_all(report, "svg").items()}
