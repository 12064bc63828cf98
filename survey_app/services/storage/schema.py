"""Database schema: Alembic migrations and the questionnaire versions they must know.

Loads Alembic, which only ``init``, ``demo`` and ``db`` use: the commands reach this module
as ``storage.schema`` (a lazily-loaded attribute), so that every other ``sipas`` command and
server start does not pay for importing it.
"""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.config import Config
from alembic.util import CommandError as CommandError  # what :func:`check` raises
from sqlalchemy import select

import forms
from survey_app.config import MIGRATIONS_DIR
from survey_app.extensions import db
from survey_app.models import QuestionnaireVersion


def alembic_config() -> Any:
    cfg = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def upgrade_database() -> None:
    """Apply every migration not yet applied, then register the shipped questionnaires."""
    command.upgrade(alembic_config(), "head")
    known = set(db.session.scalars(select(QuestionnaireVersion.id)))
    for qid, q in forms.load_all().items():
        if qid not in known:
            db.session.add(QuestionnaireVersion(id=qid, title=q.title.vi))
    db.session.commit()


def new_revision(message: str) -> Any:
    """Write a new migration from the difference between the models and the database."""
    return command.revision(alembic_config(), message=message, autogenerate=True)


def check() -> None:
    """Raise when the models have changes that no migration holds."""
    command.check(alembic_config())
