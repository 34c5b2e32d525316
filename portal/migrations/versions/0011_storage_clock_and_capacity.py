"""storage clock and capacity: a batch's storage clock date and volume; a facility's capacity in t or m³

The one-year storage clock starts when the waste was generated and survives merges: batches get clock_from
(generated_on for every existing batch). A storage facility declares its capacity in t (grams, as before) or
in m³ (litres); batches may record their volume so that m³ capacities can be checked.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 16:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('clock_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('volume_l', sa.Integer(), nullable=True))
    op.execute("UPDATE batches SET clock_from = generated_on")
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.alter_column('clock_from', existing_type=sa.Date(), nullable=False)
        batch_op.create_index(batch_op.f('ix_batches_clock_from'), ['clock_from'], unique=False)

    with op.batch_alter_table('storage_facilities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('capacity_unit', sa.String(length=2), nullable=False, server_default='t'))
        batch_op.add_column(sa.Column('capacity_l', sa.Integer(), nullable=True))
        batch_op.alter_column('capacity_g', existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table('storage_facilities', schema=None) as batch_op:
        batch_op.alter_column('capacity_unit', existing_type=sa.String(length=2), server_default=None)
        batch_op.create_check_constraint(op.f('ck_storage_facilities_capacity_unit_known'),
                                         "capacity_unit IN ('t', 'm3')")
        batch_op.create_check_constraint(op.f('ck_storage_facilities_capacity_declared'),
                                         "(capacity_unit = 't' AND capacity_g IS NOT NULL) OR "
                                         "(capacity_unit = 'm3' AND capacity_l IS NOT NULL)")


def downgrade():
    with op.batch_alter_table('storage_facilities', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_storage_facilities_capacity_declared'), type_='check')
        batch_op.drop_constraint(op.f('ck_storage_facilities_capacity_unit_known'), type_='check')
    # a volume-only facility has no mass capacity to fall back on: it keeps 0 g and must be declared again
    op.execute("UPDATE storage_facilities SET capacity_g = 0 WHERE capacity_g IS NULL")
    with op.batch_alter_table('storage_facilities', schema=None) as batch_op:
        batch_op.alter_column('capacity_g', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('capacity_l')
        batch_op.drop_column('capacity_unit')

    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_batches_clock_from'))
        batch_op.drop_column('volume_l')
        batch_op.drop_column('clock_from')
