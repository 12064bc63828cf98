"""``sipas invitations``: the dossiers' invitation links in bulk (a CSV for the one-stop
system's SMS or Zalo sender) and one dossier's printable slip (A6 or an 80 mm receipt)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from survey_app.extensions import db
from survey_app.services import formatting, org
from survey_app.services.dossiers import invitations

DAY = click.DateTime(["%Y-%m-%d"])
COLUMNS = ("dossier_code", "url", "short_url", "expires_at")


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@click.group("invitations", invoke_without_command=True)
@click.option("--unit", "unit_code", help="Only dossiers received in this unit or below it.")
@click.option("--from", "start", type=DAY, help="First local day of return (YYYY-MM-DD).")
@click.option("--to", "end", type=DAY, help="Last local day of return (YYYY-MM-DD).")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV file to write: dossier_code, url, short_url, expires_at.",
)
@click.pass_context
@with_appcontext
def invitations_command(
    ctx: click.Context,
    unit_code: str | None,
    start: datetime | None,
    end: datetime | None,
    out: Path | None,
) -> None:
    """Write the invitation links of the dossiers returned in a period, making the missing
    ones (one per dossier; the same dossier keeps its link). Dossiers already rated, and
    revoked or expired invitations, are left out: there is nothing to send them.

    `sipas invitations slip CODE --out FILE.pdf` prints one dossier's slip.
    """
    if ctx.invoked_subcommand is not None:
        return
    if out is None:
        raise click.UsageError(_("thiếu --out"))
    if start and end and start > end:
        raise click.BadParameter(_("--from sau --to"), param_hint="--from")
    ids = None
    if unit_code is not None:
        ids = org.unit_subtree_ids(unit_code)
        if ids is None:
            raise click.BadParameter(
                _("không có đơn vị mã %(code)r", code=unit_code), param_hint="--unit"
            )
    rows, made, left_out = invitations.bulk(
        ids, start.date() if start else None, end.date() if end else None
    )
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow(
                formatting.spreadsheet_text(value)
                for value in (row.dossier_code, row.url, row.short_url, _utc(row.expires_at))
            )
    click.echo(
        _(
            "Đã ghi %(n)s lời mời vào %(out)s (%(made)s lời mời mới; %(left)s hồ sơ bỏ qua vì "
            "đã đánh giá, lời mời bị thu hồi hoặc hết hạn).",
            n=len(rows),
            out=out,
            made=made,
            left=left_out,
        ),
        err=True,
    )


@invitations_command.command("slip")
@click.argument("code")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["a6", "80mm"]),
    default="a6",
    show_default=True,
    help="a6: an A6 page; 80mm: a thermal receipt 80 mm wide.",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@with_appcontext
def slip(code: str, fmt: str, out: Path) -> None:
    """Write the printable invitation slip of dossier CODE (PDF with its QR code), making
    the invitation if it has none."""
    dossier = invitations.by_code(code)
    if dossier is None:
        raise click.BadParameter(_("không có hồ sơ mã %(code)r", code=code), param_hint="CODE")
    link = invitations.issue(dossier)
    db.session.commit()
    state = invitations.state_of(link.invitation)
    if state != "ok":
        raise click.UsageError(
            _("lời mời của hồ sơ này không còn dùng được (%(state)s)", state=state)
        )
    card = org.qrcards.Slip(
        url=link.url,
        short_url=link.short_url,
        unit_name=dossier.receiving_unit.name,
        dossier_code=dossier.code,
        last_day=formatting.day(link.expires_at, "vi"),
    )
    out.write_bytes(org.qrcards.render_slip_pdf(card, fmt))
    click.echo(_("Đã ghi phiếu mời của hồ sơ %(code)s vào %(out)s", code=dossier.code, out=out))
