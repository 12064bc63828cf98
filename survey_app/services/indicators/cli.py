"""``sipas indicators``: indicators 5.4 and 5.2 of Quyết định 766/QĐ-TTg from the stored
dossiers and complaints (registered in ``survey_app/commands.py``). The service loads when
the command runs."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _


@click.command("indicators")
@click.option(
    "--period",
    required=True,
    help="2025-Q4 (quarter), 2026-03 (month), 2026-H1, 2026-9M, 2026, 2026-YTD or "
    "2026-01-01..2026-03-31 (local days, inclusive).",
)
@click.option(
    "--cutoff",
    type=click.Choice(["calendar", "report"]),
    default="calendar",
    show_default=True,
    help="Calendar periods, or the government reporting periods that run from the 15th "
    "to the 14th.",
)
@click.option(
    "--by",
    type=click.Choice(["unit", "procedure", "counter"]),
    default="unit",
    show_default=True,
    help="Per resolving unit, per procedure, or per receiving counter.",
)
@click.option("--unit", "unit_code", help="Only this unit and the units under it.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@click.option(
    "--late",
    is_flag=True,
    help="Instead: SIPAS of verified respondents whose dossier was late against on time, "
    "per unit, with the difference, its 95 % interval and whether it is significant.",
)
@with_appcontext
def indicators(
    period: str, cutoff: str, by: str, unit_code: str | None, fmt: str, late: bool
) -> None:
    """Dossiers returned, early, on time, late, with a complaint; apology letters;
    indicators 5.4 and 5.2 with their points (Quyết định 766/QĐ-TTg group 5), the units
    that cost the most points first."""
    from survey_app.services import org
    from survey_app.services.analytics.periods import period_dates
    from survey_app.services.indicators import measures, output

    try:
        start, end = period_dates(period, cutoff)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--period") from None
    scope = None
    if unit_code is not None:
        scope = org.unit_subtree_ids(unit_code)
        if scope is None:
            raise click.BadParameter(
                _("không có đơn vị mã %(code)r", code=unit_code), param_hint="--unit"
            )
    if late:
        from scoring import Cutoff
        from survey_app.services.indicators.late import late_gaps

        gaps = late_gaps(start, end, scope, Cutoff(cutoff))
        writer = {"json": output.late_json, "csv": output.late_csv}.get(fmt, output.late_table)
        click.echo(writer(gaps), nl=fmt == "json")
        return
    result = measures.compute(start, end, by, scope)
    if fmt == "json":
        click.echo(output.as_json(result))
    elif fmt == "csv":
        click.echo(output.as_csv(result), nl=False)
    else:
        click.echo(output.as_table(result), nl=False)
