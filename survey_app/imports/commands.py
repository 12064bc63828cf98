"""``sipas import``: the command-line import of a response file (CSV or XLSX)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from survey_app.services import exchange


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--dry-run", is_flag=True, help="Check the file and say what would be imported; store nothing."
)
@click.option(
    "--source",
    help="Source of rows whose source column is empty "
    "(default: paper), e.g. the name of the system the file came from.",
)
@with_appcontext
def import_command(file: Path, dry_run: bool, source: str | None) -> None:
    """Import a response file (the `sipas export` format, .csv or .xlsx), all or nothing.

    A file with any bad row imports nothing: the bad rows are listed on standard error with
    their line, column and reason (the first SIPAS_IMPORT_MAX_PROBLEMS, then how many more),
    and the exit code is 2. Rows already stored (same
    response_id and content, or the same paper row imported before) are skipped.
    """
    if file.suffix.lower() not in exchange.importer.SUFFIXES:
        raise click.BadParameter(_("tệp phải có đuôi .csv hoặc .xlsx"), param_hint="FILE")
    try:
        result = exchange.importer.import_file(file, source=source, dry_run=dry_run)
    except exchange.importer.ImportRefused as refused:
        click.echo(
            _(
                "tệp %(file)s có %(n)s lỗi, không nhập phản hồi nào:",
                file=file,
                n=refused.total,
            ),
            err=True,
        )
        click.echo(exchange.importer.problems_text(refused.problems, refused.more), err=True)
        raise click.exceptions.Exit(2) from None
    span = (
        _(", các ngày %(first)s–%(last)s", first=result.first_day, last=result.last_day)
        if result.first_day
        else ""
    )
    values = {"n": result.added, "file": file, "skipped": result.skipped, "span": span}
    if dry_run:
        message = _(
            "Sẽ nhập %(n)s phản hồi mới từ %(file)s (%(skipped)s phản hồi đã có, bỏ qua%(span)s).",
            **values,
        )
    else:
        message = _(
            "Đã nhập %(n)s phản hồi mới từ %(file)s (%(skipped)s phản hồi đã có, bỏ qua%(span)s).",
            **values,
        )
    click.echo(message)
    for code, n in result.by_unit.items():
        click.echo(f"  {code}\t{n}")
    if dry_run:
        click.echo(_("Chạy thử: không lưu gì."))
