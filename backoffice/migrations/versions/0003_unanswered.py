"""Unanswered questions (masked) for the editor console.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 23:59:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('unanswered_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('intents', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('topic', sa.String(length=60), nullable=True),
    sa.Column('handled_by', sa.String(length=80), nullable=True),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_unanswered_questions_day', 'unanswered_questions', ['day'], unique=False)
    op.create_index('ix_unanswered_status_day', 'unanswered_questions', ['status', 'day'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_unanswered_status_day', table_name='unanswered_questions')
    op.drop_index('ix_unanswered_questions_day', table_name='unanswered_questions')
    op.drop_table('unanswered_questions')
