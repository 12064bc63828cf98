"""Entry point of the ``sipas`` console script."""

from __future__ import annotations

from typing import Any

import click
from flask.cli import FlaskGroup

from survey_app import create_app
from survey_app.commands import cli_error


class SipasGroup(FlaskGroup):
    """Flask's CLI group, with one line on standard error and exit status 2 instead of a
    traceback or a usage screen for every error a command meets
    (:func:`survey_app.commands.cli_error`: a bad option or value, a setting that is invalid,
    a database missing or not ready, a file that cannot be read or written, input a service
    refuses). The commands' own bodies are guarded by the same function, also when they run
    under ``app.cli`` (tests)."""

    def _load_plugin_commands(self) -> None:
        # sipas has no command plugins: skip scanning every installed package's entry points
        # (tens of milliseconds of every command's start-up).
        self._loaded_plugin_commands = True

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:  # noqa: BLE001 - translated, or raised again as it was
            error = cli_error(exc)
            if error is None:
                raise
            raise error from None


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
