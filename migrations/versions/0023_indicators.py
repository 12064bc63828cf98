"""The dossiers' index for the 766 measures (issue 14, part 2)

``ix_dossiers_resolving_returned`` (resolving unit, returned day) becomes
``ix_dossiers_resolving_returned_due`` (resolving unit, returned day, due date, apology
letter): the same look-ups as before, and ``sipas indicators`` counts a quarter's dossiers per
unit (early, on time, late, apology letters) from the index alone, one range per unit,
without reading the table (a province's 2.5 million dossiers a quarter in about a second).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 19:20:00

"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_dossiers_resolving_returned_due",
        "dossiers",
        ["resolving_unit_id", "returned_day", "due_date", "apology_sent"],
    )
    op.drop_index("ix_dossiers_resolving_returned", table_name="dossiers")


def downgrade():
    op.create_index(
        "ix_dossiers_resolving_returned", "dossiers", ["resolving_unit_id", "returned_day"]
    )
    op.drop_index("ix_dossiers_resolving_returned_due", table_name="dossiers")
