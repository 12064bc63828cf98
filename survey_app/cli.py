"""Entry point of the ``sipas`` console script."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup

from . import create_app


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False,
             load_dotenv=False, set_debug_flag=False)
def main() -> None:
    """sipas: SIPAS satisfaction feedback for one-stop offices.

    Configure with SIPAS_* environment variables (see README); the database is the
    SQLite file instance/sipas.sqlite unless SIPAS_DATABASE_URL is set.
    """
