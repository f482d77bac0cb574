"""search backlog

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 07:00:00

"""
from alembic import op
import sqlalchemy as sa

import socialmap.models.base

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_backlog',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('service_id', sa.String(length=36), nullable=False),
    sa.Column('failed_at', socialmap.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('search_backlog', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_backlog_service_id'), ['service_id'], unique=False)


def downgrade():
    with op.batch_alter_table('search_backlog', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_backlog_service_id'))
    op.drop_table('search_backlog')
