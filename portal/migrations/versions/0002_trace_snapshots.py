"""trace snapshots: the public trace of each batch, kept ready for /t/<code>

Batches that exist before this revision get their snapshot from the next `wufei ledger verify`; until then
their pages are built live, as before.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 12:03:23.070779

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('trace_snapshots',
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('head_seq', sa.Integer(), nullable=False),
    sa.Column('head_hash', sa.String(length=64), nullable=False),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('intact', sa.Boolean(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_trace_snapshots_batch_id_batches'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('batch_id', name=op.f('pk_trace_snapshots'))
    )


def downgrade():
    op.drop_table('trace_snapshots')
