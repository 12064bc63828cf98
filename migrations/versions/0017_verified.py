"""Verified respondents in the stored half-months (issue 13)

``stats_buckets.n_verified``: of a cell's ``n`` respondents, those who answered through a
dossier's invitation, so that pages can show verified and open counts from the stored
half-months.  Day blocks need no change: a block packed from now on carries one
``verified`` byte per response (its layout says so), and one packed before has none and
reads as all open — exact, since no response had a dossier before 0014.  Buckets stored
before this revision are dropped (computed again from the blocks on demand), so no cell
reads a default 0 for responses that were in fact verified.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 17:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("DELETE FROM stats_buckets")
    with op.batch_alter_table("stats_buckets") as batch:
        batch.add_column(sa.Column("n_verified", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("stats_buckets") as batch:
        batch.drop_column("n_verified")
