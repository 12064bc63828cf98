"""Entry point of the ``sipas`` console script."""

from __future__ import annotations

from typing import Any

import click
from flask.cli import FlaskGroup
from sqlalchemy.exc import OperationalError

from survey_app import create_app
from survey_app.config import ConfigurationError
from survey_app.i18n import cli_text


class SipasGroup(FlaskGroup):
    """Flask's CLI group, with a clear message instead of a traceback when a setting is
    invalid or the database is missing, not initialised or unreachable."""

    def _load_plugin_commands(self) -> None:
        # sipas has no command plugins: skip scanning every installed package's entry points
        # (tens of milliseconds of every command's start-up).
        self._loaded_plugin_commands = True

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigurationError as exc:
            raise click.UsageError(cli_text(exc.template, **exc.values)) from None
        except OperationalError as exc:
            reason = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
            raise click.UsageError(
                cli_text(
                    "cơ sở dữ liệu chưa sẵn sàng (%(reason)s): hãy chạy `sipas init` và kiểm "
                    "tra SIPAS_DATABASE_URL",
                    reason=reason,
                )
            ) from None


@click.group(
    cls=SipasGroup,
    create_app=create_app,
    add_version_option=False,
    add_default_commands=False,  # Flask's run, shell and routes are not sipas commands
    load_dotenv=False,
    set_debug_flag=False,
)
def main() -> None:
    """sipas: SIPAS satisfaction feedback for one-stop offices.

    Configure with SIPAS_* environment variables (see README); the database is the
    SQLite file instance/sipas.sqlite unless SIPAS_DATABASE_URL is set.
    """
