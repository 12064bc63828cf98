"""Coverage per group (issue 14 part 1): indexes that tell when coverage counts changed

The coverage of a group (dossiers served, invited, answered) is counted by ``GROUP BY``
over ``dossiers`` and kept per process until the data change; the change is seen from a
few index reads: the newest dossier change (``dossiers.changed_at``) and the newest used
invitation (``invitations.used_at``).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 19:20:00

"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_dossiers_changed_at", "dossiers", ["changed_at"])
    op.create_index("ix_invitations_used_at", "invitations", ["used_at"])


def downgrade():
    op.drop_index("ix_invitations_used_at", table_name="invitations")
    op.drop_index("ix_dossiers_changed_at", table_name="dossiers")
