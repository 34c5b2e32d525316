"""catalogue editions in force by date, and general industrial solid waste transfer records

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 16:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('general_transfer_counters',
    sa.Column('prefix', sa.String(length=10), nullable=False),
    sa.Column('last_serial', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('prefix', name=op.f('pk_general_transfer_counters'))
    )
    op.create_table('general_transfers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('generator_org_id', sa.Integer(), nullable=False),
    sa.Column('receiver_org_id', sa.Integer(), nullable=False),
    sa.Column('origin_district_code', sa.String(length=12), nullable=False),
    sa.Column('destination_district_code', sa.String(length=12), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('carrier_name', sa.String(length=200), nullable=False),
    sa.Column('vehicle_plate', sa.String(length=20), nullable=True),
    sa.Column('quantity_g', sa.Integer(), nullable=False),
    sa.Column('received_g', sa.Integer(), nullable=True),
    sa.Column('exemption_item_id', sa.Integer(), nullable=True),
    sa.Column('exemption_condition', sa.Text(), nullable=True),
    sa.Column('exemption_declared_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('shipped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('created', 'shipped', 'received')", name=op.f('ck_general_transfers_state_valid')),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_general_transfers_batch_id_batches')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_general_transfers_created_by_id_users')),
    sa.ForeignKeyConstraint(['destination_district_code'], ['divisions.code'], name=op.f('fk_general_transfers_destination_district_code_divisions')),
    sa.ForeignKeyConstraint(['exemption_declared_by_id'], ['users.id'], name=op.f('fk_general_transfers_exemption_declared_by_id_users')),
    sa.ForeignKeyConstraint(['exemption_item_id'], ['exemption_items.id'], name=op.f('fk_general_transfers_exemption_item_id_exemption_items')),
    sa.ForeignKeyConstraint(['generator_org_id'], ['organisations.id'], name=op.f('fk_general_transfers_generator_org_id_organisations')),
    sa.ForeignKeyConstraint(['origin_district_code'], ['divisions.code'], name=op.f('fk_general_transfers_origin_district_code_divisions')),
    sa.ForeignKeyConstraint(['receiver_org_id'], ['organisations.id'], name=op.f('fk_general_transfers_receiver_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_general_transfers')),
    sa.UniqueConstraint('number', name=op.f('uq_general_transfers_number'))
    )
    with op.batch_alter_table('general_transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_general_transfers_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_general_transfers_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_general_transfers_destination_district_code'), ['destination_district_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_general_transfers_generator_org_id'), ['generator_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_general_transfers_origin_district_code'), ['origin_district_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_general_transfers_receiver_org_id'), ['receiver_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_general_transfers_state'), ['state'], unique=False)

    # the in-force date was already there as effective_from; which edition applies is now derived from the
    # dates, so the is_current flag goes
    with op.batch_alter_table('catalogue_editions', schema=None) as batch_op:
        batch_op.alter_column('effective_from', new_column_name='in_force_from', existing_type=sa.Date(),
                              existing_nullable=False)
        batch_op.drop_column('is_current')
    with op.batch_alter_table('catalogue_editions', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_catalogue_editions_hazardous'), ['hazardous', 'in_force_from'])


def downgrade():
    with op.batch_alter_table('catalogue_editions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_catalogue_editions_hazardous'), type_='unique')
        batch_op.alter_column('in_force_from', new_column_name='effective_from', existing_type=sa.Date(),
                              existing_nullable=False)
        batch_op.add_column(sa.Column('is_current', sa.Boolean(), nullable=False, server_default=sa.true()))

    with op.batch_alter_table('general_transfers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_general_transfers_state'))
        batch_op.drop_index(batch_op.f('ix_general_transfers_receiver_org_id'))
        batch_op.drop_index(batch_op.f('ix_general_transfers_origin_district_code'))
        batch_op.drop_index(batch_op.f('ix_general_transfers_generator_org_id'))
        batch_op.drop_index(batch_op.f('ix_general_transfers_destination_district_code'))
        batch_op.drop_index(batch_op.f('ix_general_transfers_created_at'))
        batch_op.drop_index(batch_op.f('ix_general_transfers_batch_id'))

    op.drop_table('general_transfers')
    op.drop_table('general_transfer_counters')
