"""Sessions that end server-side, and cache generations shared by every server process

``users.session_epoch`` is part of each session's stamp: raising it (sign-out, disabling or
enabling an account) ends every session opened before.  ``cache_generations`` holds one
number per process-local cache (``counters``: the counter-token lookups); raising it makes
every server process re-read at its next request, so revoking a token takes effect
everywhere at once.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 13:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_epoch", sa.Integer(), server_default="0", nullable=False)
        )
    generations = op.create_table(
        "cache_generations",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_cache_generations")),
    )
    op.bulk_insert(generations, [{"name": "counters", "value": 0}])


def downgrade():
    op.drop_table("cache_generations")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_epoch")
