"""Content changes may set validity windows, add a dated variant or delete one.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('content_changes') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=10), nullable=False, server_default='edit'))
        batch.add_column(sa.Column('window_before', sa.String(length=21), nullable=True))
        batch.add_column(sa.Column('window_after', sa.String(length=21), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('content_changes') as batch:
        batch.drop_column('window_after')
        batch.drop_column('window_before')
        batch.drop_column('kind')
