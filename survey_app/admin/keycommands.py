"""``sipas keys``: integration keys of the source systems (add, list, revoke), audited as
made on the command line."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import IntegrationKey, Unit
from survey_app.services.dossiers import keys as integration


@click.group("keys")
def keys_group() -> None:
    """Integration keys for POST /api/v1/dossiers (one per source system)."""


@keys_group.command("add")
@click.argument("name")
@click.option(
    "--unit", "unit_code", required=True, help="Code of the unit whose subtree the key may send."
)
@with_appcontext
def add(name: str, unit_code: str) -> None:
    """Make a key for UNIT's subtree and print it once (only its hash is kept)."""
    unit = db.session.scalar(select(Unit).where(Unit.code == unit_code.strip()))
    if unit is None:
        raise click.BadParameter(
            _("không có đơn vị mã %(code)s", code=unit_code), param_hint="--unit"
        )
    try:
        made = integration.create(name, unit, None)
    except integration.KeyProblem as problem:
        raise click.BadParameter(_(str(problem)), param_hint="NAME") from None
    db.session.commit()
    click.echo(made.secret)
    click.echo(
        _(
            "Khoá %(name)s cho đơn vị %(unit)s và các đơn vị cấp dưới. Hãy lưu khoá ngay: "
            "sipas không hiển thị lại.",
            name=made.key.name,
            unit=unit.code,
        ),
        err=True,
    )


@keys_group.command("list")
@with_appcontext
def list_keys() -> None:
    """Every key: name, unit, prefix, made, last used, uses, revoked."""
    for key in integration.listing():
        revoked = key.revoked_at.strftime("%Y-%m-%dT%H:%MZ") if key.revoked_at else "-"
        last = key.last_used_at.strftime("%Y-%m-%dT%H:%MZ") if key.last_used_at else "-"
        click.echo(
            "\t".join(
                (
                    key.name,
                    key.unit.code,
                    key.prefix + "…",
                    key.created_at.strftime("%Y-%m-%dT%H:%MZ"),
                    last,
                    str(key.use_count),
                    revoked,
                )
            )
        )


@keys_group.command("revoke")
@click.argument("name")
@with_appcontext
def revoke(name: str) -> None:
    """Revoke the key NAME at once (its next use answers 401)."""
    key = db.session.scalar(select(IntegrationKey).where(IntegrationKey.name == name.strip()))
    if key is None:
        raise click.BadParameter(_("không có khoá tên %(name)s", name=name), param_hint="NAME")
    integration.revoke(key, None)
    db.session.commit()
    click.echo(_("Đã thu hồi khoá %(name)s.", name=key.name))
