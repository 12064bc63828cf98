"""Opening hours per unit (issues 14 and 16)

``units.opening_hours``: the unit's own opening hours, ``"1-5 07:30-17:00"`` (ISO weekdays,
Vietnam time); empty means the setting ``SIPAS_KIOSK_OPENING_HOURS``.  Tablets are called
silent, and submissions outside opening hours are counted, against these hours.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 19:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN: copying ``units`` (a batch operation on SQLite) is refused while
    # counters and responses point at it.
    op.add_column("units", sa.Column("opening_hours", sa.String(length=60), nullable=True))


def downgrade():
    op.drop_column("units", "opening_hours")
