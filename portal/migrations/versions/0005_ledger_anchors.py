"""ledger: signed checkpoints of batch heads and daily Merkle roots

Existing chains get their first checkpoint from the first `wufei ledger checkpoint`.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 13:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ledger_checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('head_seq', sa.Integer(), nullable=False),
    sa.Column('head_hash', sa.String(length=64), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('signature', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_ledger_checkpoints_batch_id_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_checkpoints'))
    )
    with op.batch_alter_table('ledger_checkpoints', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_checkpoints_key_batch', ['key_id', 'batch_id', 'id'], unique=False)

    op.create_table('ledger_roots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_checkpoint_id', sa.Integer(), nullable=False),
    sa.Column('batch_count', sa.Integer(), nullable=False),
    sa.Column('root', sa.String(length=64), nullable=False),
    sa.Column('previous_signature', sa.String(length=64), nullable=True),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('signature', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_roots')),
    sa.UniqueConstraint('day', name=op.f('uq_ledger_roots_day'))
    )


def downgrade():
    op.drop_table('ledger_roots')
    with op.batch_alter_table('ledger_checkpoints', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_checkpoints_key_batch')

    op.drop_table('ledger_checkpoints')
