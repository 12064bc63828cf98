"""Write a :class:`~.model.Report` as XLSX (openpyxl), PDF (reportlab), DOCX (python-docx, the
Nghị định 30 layout), a zip of CSVs, or a zip of the XLSX, the PDF and the CSVs. Files are
written next to ``out`` and moved into place when complete, so a reader never sees half a
file.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

from survey_app.services.formatting import spreadsheet_text
from survey_app.services.reports.docx import write_docx
from survey_app.services.reports.letterhead import Letterhead
from survey_app.services.reports.model import Report, Table, csv_header
from survey_app.services.reports.pdf import write_pdf
from survey_app.services.reports.xlsx import write_xlsx


def write_format(
    report: Report, out: Path, fmt: str, writer: Callable[[Report, Path], None] | None = None
) -> Path:
    """Write ``report`` as ``fmt`` to ``out`` through a temporary file in the same folder
    (``writer``: how, when not the format's own writer)."""
    writer = (
        writer
        or {"xlsx": _xlsx, "pdf": _pdf, "docx": _docx, "csv": write_csv_zip, "zip": write_bundle}[
            fmt
        ]
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    os.close(handle)
    try:
        writer(report, Path(temporary))
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(temporary, 0o666 & ~mask)  # mkstemp makes it private
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return out


def _xlsx(report: Report, out: Path) -> None:
    write_xlsx(report, out)


def _pdf(report: Report, out: Path) -> None:
    write_pdf(report, out)


def _docx(report: Report, out: Path, letterhead: Letterhead | None = None) -> None:
    write_docx(report, out, letterhead)


def csv_text(table: Table) -> str:
    """One table as CSV (numbers with a decimal point, full precision; text cells that a
    spreadsheet would run as a formula get a leading apostrophe:
    :func:`.formatting.spreadsheet_text`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(csv_header(table))
    for row in table.rows:
        cells: list[object] = []
        for column, value in zip(table.columns, row, strict=True):
            if column.kind == "ci":
                low, high = value if isinstance(value, tuple) else (None, None)
                cells += ["" if low is None else repr(low), "" if high is None else repr(high)]
            elif value is None:
                cells.append("")
            elif isinstance(value, str):
                cells.append(spreadsheet_text(value))
            else:
                cells.append(repr(value))
        writer.writerow(cells)
    return "\ufeff" + buffer.getvalue()


def csv_names(report: Report) -> list[tuple[str, Table]]:
    return [(f"{i:02d}_{t.key}.csv", t) for i, t in enumerate(report.tables, start=1)]


def write_csv_zip(report: Report, out: Path, folder: str = "") -> None:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        _add_csvs(archive, report, folder)


def _add_csvs(archive: zipfile.ZipFile, report: Report, folder: str) -> None:
    for name, table in csv_names(report):
        archive.writestr(folder + name, csv_text(table).encode("utf-8"))


def write_bundle(report: Report, out: Path) -> None:
    """A zip with ``bao-cao.xlsx``, ``bao-cao.pdf`` and ``csv/NN_bang.csv``."""
    with tempfile.TemporaryDirectory() as tmp:
        xlsx, pdf = Path(tmp) / "bao-cao.xlsx", Path(tmp) / "bao-cao.pdf"
        _xlsx(report, xlsx)
        _pdf(report, pdf)
        _zip_files(report, xlsx, pdf, out)


def _zip_files(report: Report, xlsx: Path, pdf: Path, out: Path) -> None:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(xlsx, "bao-cao.xlsx")
        archive.write(pdf, "bao-cao.pdf")
        _add_csvs(archive, report, "csv/")


def write_pack(
    report: Report,
    folder: Path,
    names: dict[str, str],
    step: Callable[[str], None] | None = None,
    letterhead: Letterhead | None = None,
) -> dict[str, Path]:
    """Write the XLSX and the PDF once each into ``folder`` (file names ``names[fmt]``) and,
    when ``names`` has ``zip``, the zip of those very files and the CSVs — not a second
    rendering of each; the DOCX (with ``letterhead``) when ``names`` has ``docx``.
    ``step(fmt)`` is called before each file. Returns fmt → path."""
    unknown = set(names) - {"xlsx", "pdf", "docx", "zip"}
    if unknown:
        raise ValueError(f"write_pack: unknown formats {sorted(unknown)}")
    done: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        own = {fmt: Path(tmp) / f"bao-cao.{fmt}" for fmt in ("xlsx", "pdf")}
        for fmt, writer in (("xlsx", _xlsx), ("pdf", _pdf)):
            if fmt in names or "zip" in names:
                if step:
                    step(fmt)
                writer(report, own[fmt])
        if "zip" in names:
            if step:
                step("zip")
            write_format(
                report,
                folder / names["zip"],
                "zip",
                lambda r, out: _zip_files(r, own["xlsx"], own["pdf"], out),
            )
            done["zip"] = folder / names["zip"]
        for fmt in ("xlsx", "pdf"):
            if fmt in names:
                write_format(
                    report,
                    folder / names[fmt],
                    fmt,
                    partial(_copy, own[fmt]),
                )
                done[fmt] = folder / names[fmt]
    if "docx" in names:
        if step:
            step("docx")
        done["docx"] = write_format(
            report, folder / names["docx"], "docx", partial(_docx, letterhead=letterhead)
        )
    return done


def _copy(source: Path, _report: Report, out: Path) -> None:
    """Write a pack member by copying the file already rendered."""
    shutil.copyfile(source, out)
