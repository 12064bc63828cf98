"""``sipas dossiers``: import a dossier file (CSV or XLSX), all or nothing, and write its
template workbook."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Counter, Unit
from survey_app.services import dossiers
from survey_app.services.dossiers.ingest import DatabaseBusy, DossiersRefused, IngestResult
from survey_app.services.org import audit

SUFFIXES = (".csv", ".xlsx")


@click.group("dossiers")
def dossiers_group() -> None:
    """Dossiers (hồ sơ) of the one-stop system: import a file, write the template."""


@dossiers_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and count; store nothing.")
@with_appcontext
def import_dossiers(file: Path, dry_run: bool) -> None:
    """Import a dossier file (.csv or .xlsx; columns as in README "Dossiers"), all or nothing.

    New codes are created, changed dossiers updated, identical ones left alone. A file with
    any bad row stores nothing: the bad rows are listed on standard error (line, column,
    reason) and the exit code is 2.
    """
    if file.suffix.lower() not in SUFFIXES:
        raise click.BadParameter(_("tệp phải có đuôi .csv hoặc .xlsx"), param_hint="FILE")

    def note(result: IngestResult) -> None:
        audit.record(
            None,
            "dossiers.import",
            "file",
            file.name[:80],
            None,
            {**result.counts(), "by": "command_line"},
        )

    try:
        result = dossiers.files.import_file(file, dry_run=dry_run, before_commit=note)
    except DossiersRefused as refused:
        click.echo(
            _("tệp %(file)s có %(n)s lỗi, không nhập hồ sơ nào:", file=file, n=refused.total),
            err=True,
        )
        click.echo(dossiers.files.problems_text(refused), err=True)
        raise click.exceptions.Exit(2) from None
    except DatabaseBusy:
        raise click.ClickException(
            _("cơ sở dữ liệu đang bận; chưa lưu gì, hãy chạy lại sau")
        ) from None
    values = {"file": file, **result.counts()}
    if dry_run:
        click.echo(
            _(
                "Chạy thử %(file)s: sẽ thêm %(created)s, cập nhật %(updated)s, giữ nguyên "
                "%(unchanged)s hồ sơ; không lưu gì.",
                **values,
            )
        )
    else:
        click.echo(
            _(
                "Đã nhập %(file)s: thêm %(created)s, cập nhật %(updated)s, giữ nguyên "
                "%(unchanged)s hồ sơ.",
                **values,
            )
        )


@dossiers_group.command("template")
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def template(out: Path) -> None:
    """Write the template workbook (columns, drop-downs, a guide sheet) to OUT.xlsx."""
    units = list(db.session.scalars(select(Unit.code).where(Unit.active).order_by(Unit.code)))
    counters = [
        f"{u}/{c}"
        for u, c in db.session.execute(
            select(Unit.code, Counter.code).join(Counter.unit).order_by(Unit.code, Counter.code)
        )
    ]
    out.write_bytes(dossiers.files.template(units, counters))
    click.echo(_("Đã ghi mẫu %(file)s.", file=out))
