"""Content changes of the editor console (four-eyes review of answer edits).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'content_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('topic', sa.String(length=80), nullable=False),
        sa.Column('response', sa.String(length=120), nullable=False),
        sa.Column('variant', sa.Integer(), nullable=False),
        sa.Column('before', sa.Text(), nullable=False),
        sa.Column('after', sa.Text(), nullable=False),
        sa.Column('mark_reviewed', sa.Boolean(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('author', sa.String(length=80), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reviewer', sa.String(length=80), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_content_changes_status', 'content_changes', ['status'])


def downgrade() -> None:
    op.drop_index('ix_content_changes_status', table_name='content_changes')
    op.drop_table('content_changes')
