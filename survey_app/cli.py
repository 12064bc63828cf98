"""Entry point of the ``sipas`` console script."""

from __future__ import annotations

from typing import Any

import click
from flask.cli import FlaskGroup
from sqlalchemy.exc import OperationalError

from survey_app import create_app
from survey_app.config import ConfigurationError
from survey_app.services.errors import InputError


class CliError(click.ClickException):
    """Every error of a ``sipas`` command: ``Error: <message>`` on standard error, exit 2."""

    exit_code = 2


def _one_line(exc: click.UsageError) -> str:
    """A usage error (a bad option or argument) as one line that names the command's help."""
    where = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
    return exc.format_message() + where


class SipasGroup(FlaskGroup):
    """Flask's CLI group, with one line on standard error and exit status 2 instead of a
    traceback or a usage screen for every error a command meets: a bad option or value, a
    setting that is invalid, a database missing, not initialised or unreachable, a file
    that cannot be read or written (any ``OSError``), input a service refuses
    (:class:`~survey_app.services.errors.InputError`, the base of the services' errors)."""

    def _load_plugin_commands(self) -> None:
        # sipas has no command plugins: skip scanning every installed package's entry points
        # (tens of milliseconds of every command's start-up).
        self._loaded_plugin_commands = True

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CliError:
            raise
        except click.UsageError as exc:
            raise CliError(_one_line(exc)) from None
        except click.ClickException as exc:
            raise CliError(exc.format_message()) from None
        except (ConfigurationError, InputError) as exc:
            raise CliError(str(exc)) from None
        except OperationalError as exc:
            reason = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
            raise CliError(
                f"the database is not ready ({reason}): run `sipas init`, and check "
                "SIPAS_DATABASE_URL"
            ) from None
        except OSError as exc:
            what = f"{exc.filename}: " if exc.filename else ""
            raise CliError(f"{what}{exc.strerror or exc}") from None


@click.group(
    cls=SipasGroup,
    create_app=create_app,
    add_version_option=False,
    load_dotenv=False,
    set_debug_flag=False,
)
def main() -> None:
    """sipas: SIPAS satisfaction feedback for one-stop offices.

    Configure with SIPAS_* environment variables (see README); the database is the
    SQLite file instance/sipas.sqlite unless SIPAS_DATABASE_URL is set.
    """
