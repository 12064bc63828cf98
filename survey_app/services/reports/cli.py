"""``sipas report``: a report pack for a period (the command is registered in
``survey_app/commands.py``). The report engine (numpy, matplotlib…) loads only when the
command runs, through the package's lazily-loaded attributes."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from survey_app.services import reports

SUFFIXES = {".xlsx": "xlsx", ".pdf": "pdf", ".zip": "zip"}


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
    help="FILE.xlsx, FILE.pdf, or FILE.zip (XLSX, PDF and a CSV of each table).",
)
@with_appcontext
def report(
    period: str,
    cutoff: str,
    unit_code: str | None,
    integrity: bool,
    responses: str,
    out: Path,
) -> None:
    """Write the periodic SIPAS report (tables, charts, methods note) for a period."""
    fmt = SUFFIXES.get(out.suffix.lower())
    if fmt is None:
        raise click.BadParameter(_("tệp phải có đuôi .xlsx, .pdf hoặc .zip"), param_hint="--out")
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
    reports.write(content, out, fmt)  # an OSError is one line from survey_app/cli.py
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
