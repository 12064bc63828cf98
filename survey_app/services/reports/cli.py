"""``sipas report``: a report pack for a period (the command is registered in
``survey_app/commands.py``). The report engine (numpy, matplotlib…) loads only when the
command runs, through the package's lazily-loaded attributes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from survey_app.services import reports

SUFFIXES = {".xlsx": "xlsx", ".pdf": "pdf", ".docx": "docx", ".zip": "zip"}
# The DOCX's letterhead options (over the settings SIPAS_REPORT_AGENCY…): option → field.
LETTERHEAD_OPTIONS = {
    "parent_agency": "--parent-agency",
    "agency": "--agency",
    "symbol": "--symbol",
    "number": "--number",
    "place": "--place",
    "recipients": "--recipient",
    "signer_title": "--signer-title",
    "signer_name": "--signer-name",
}


@click.command("report")
@click.option(
    "--period",
    required=True,
    help="2026-03 (month), 2026-Q1 (quarter), 2026-H1 (6 months), 2026-9M (9 months), "
    "2026 (year), 2026-YTD (year to date) or 2026-01-01..2026-03-31 (custom, local days, "
    "inclusive).",
)
@click.option(
    "--cutoff",
    type=click.Choice(["calendar", "report"]),
    default="calendar",
    show_default=True,
    help="Calendar periods, or the government reporting periods "
    "that run from the 15th to the 14th.",
)
@click.option(
    "--unit", "unit_code", help="The report's unit (and the units under it); default: the top unit."
)
@click.option(
    "--integrity",
    is_flag=True,
    help="Include the integrity rates (Q5, Q6): inspector reports only.",
)
@click.option(
    "--responses",
    type=click.Choice(["all", "verified", "open"]),
    default="all",
    show_default=True,
    help="Count every response, only verified ones (through a dossier's invitation) or only "
    "open ones (QR card, kiosk, API, file).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="FILE.xlsx, FILE.pdf, FILE.docx (the administrative document of Decree "
    "30/2020/ND-CP, to edit and sign), or FILE.zip (XLSX, PDF and a CSV of each table).",
)
@click.option(
    "--format",
    "fmt_option",
    type=click.Choice(["xlsx", "pdf", "docx", "zip"]),
    help="The file's format (default: from the --out file's extension, which must match).",
)
@click.option("--parent-agency", help="DOCX: the governing agency (SIPAS_REPORT_PARENT_AGENCY).")
@click.option("--agency", help="DOCX: the issuing agency (SIPAS_REPORT_AGENCY; default: the unit).")
@click.option("--symbol", help="DOCX: the agency's abbreviation in “Số: …/BC-SYMBOL”.")
@click.option("--number", help="DOCX: the register number (default: blank, for the clerk).")
@click.option("--place", help="DOCX: the place name before the date (SIPAS_REPORT_PLACE).")
@click.option(
    "--recipient",
    "recipients",
    multiple=True,
    help="DOCX: a line of “Nơi nhận” (repeat the option; SIPAS_REPORT_RECIPIENTS).",
)
@click.option(
    "--signer-title",
    help="DOCX: the signer's title; lines separated by “;” (“KT. GIÁM ĐỐC; PHÓ GIÁM ĐỐC”).",
)
@click.option("--signer-name", help="DOCX: the signer's name (default: a blank to fill in).")
@with_appcontext
def report(
    period: str,
    cutoff: str,
    unit_code: str | None,
    integrity: bool,
    responses: str,
    out: Path,
    fmt_option: str | None,
    **letterhead_options: Any,
) -> None:
    """Write the periodic SIPAS report (tables, charts, methods note) for a period."""
    fmt = SUFFIXES.get(out.suffix.lower())
    if fmt is None:
        raise click.BadParameter(
            _("tệp phải có đuôi .xlsx, .pdf, .docx hoặc .zip"), param_hint="--out"
        )
    if fmt_option is not None and fmt_option != fmt:
        raise click.BadParameter(
            _("định dạng %(fmt)s cần tệp có đuôi .%(fmt)s", fmt=fmt_option), param_hint="--out"
        )
    letterhead = _letterhead(fmt, letterhead_options)
    spec = reports.ReportSpec(
        period=period,
        cutoff=cutoff,
        unit_code=unit_code,
        integrity=integrity,
        responses=responses,
    )
    try:
        spec.validate()
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--period") from None
    try:
        content = reports.build(spec)
    except reports.ReportError as exc:
        raise click.BadParameter(str(exc), param_hint="--unit") from None
    reports.write(content, out, fmt, letterhead)  # an OSError: one line from survey_app/cli.py
    s = content.summary
    click.echo(
        _(
            "Đã ghi %(file)s: %(period)s, %(unit)s, %(n)s người trả lời, %(tables)s bảng",
            file=out,
            period=content.period_label,
            unit=content.unit_name,
            n=s.respondents,
            tables=len(content.tables),
        )
    )


def _letterhead(fmt: str, options: dict[str, Any]) -> Any:
    """The DOCX's letterhead: the settings, then the options given; the options with
    another format, or a bad value, exit 2 with the reason."""
    given = [LETTERHEAD_OPTIONS[k] for k, v in options.items() if v not in (None, ())]
    if fmt != "docx":
        if given:
            raise click.BadParameter(
                _("chỉ dùng với tệp .docx (văn bản hành chính)"), param_hint=given[0]
            )
        return None
    letterhead = reports.letterhead.from_config(current_app.config, **options)
    try:
        letterhead.validate()
    except ValueError as exc:
        raise click.BadParameter(
            str(exc), param_hint=", ".join(given) or "SIPAS_REPORT_*"
        ) from None
    return letterhead
