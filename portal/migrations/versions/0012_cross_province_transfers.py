"""cross-province transfer approvals (drawn down by manifests) and arrivals under an external manifest number

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 16:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('incoming_transfers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receiver_org_id', sa.Integer(), nullable=False),
    sa.Column('external_number', sa.String(length=40), nullable=False),
    sa.Column('issuing_system', sa.String(length=100), nullable=False),
    sa.Column('origin_district_code', sa.String(length=12), nullable=False),
    sa.Column('generator_name', sa.String(length=200), nullable=False),
    sa.Column('generator_uscc', sa.String(length=18), nullable=True),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['origin_district_code'], ['divisions.code'], name=op.f('fk_incoming_transfers_origin_district_code_divisions')),
    sa.ForeignKeyConstraint(['receiver_org_id'], ['organisations.id'], name=op.f('fk_incoming_transfers_receiver_org_id_organisations')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_incoming_transfers_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incoming_transfers')),
    sa.UniqueConstraint('issuing_system', 'external_number', name=op.f('uq_incoming_transfers_issuing_system'))
    )
    with op.batch_alter_table('incoming_transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incoming_transfers_external_number'), ['external_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_incoming_transfers_generator_uscc'), ['generator_uscc'], unique=False)
        batch_op.create_index(batch_op.f('ix_incoming_transfers_origin_district_code'), ['origin_district_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_incoming_transfers_received_on'), ['received_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_incoming_transfers_receiver_org_id'), ['receiver_org_id'], unique=False)

    op.create_table('transfer_approvals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('approving_authority', sa.String(length=200), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('generator_org_id', sa.Integer(), nullable=False),
    sa.Column('receiver_org_id', sa.Integer(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['generator_org_id'], ['organisations.id'], name=op.f('fk_transfer_approvals_generator_org_id_organisations')),
    sa.ForeignKeyConstraint(['receiver_org_id'], ['organisations.id'], name=op.f('fk_transfer_approvals_receiver_org_id_organisations')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_transfer_approvals_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_approvals')),
    sa.UniqueConstraint('number', name=op.f('uq_transfer_approvals_number'))
    )
    with op.batch_alter_table('transfer_approvals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_approvals_generator_org_id'), ['generator_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_approvals_receiver_org_id'), ['receiver_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_approvals_valid_until'), ['valid_until'], unique=False)

    op.create_table('incoming_transfer_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('waste_code', sa.String(length=12), nullable=False),
    sa.Column('quantity_g', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['transfer_id'], ['incoming_transfers.id'], name=op.f('fk_incoming_transfer_lines_transfer_id_incoming_transfers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incoming_transfer_lines'))
    )
    with op.batch_alter_table('incoming_transfer_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incoming_transfer_lines_transfer_id'), ['transfer_id'], unique=False)

    op.create_table('transfer_approval_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('approval_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('waste_code', sa.String(length=12), nullable=False),
    sa.Column('approved_g', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['approval_id'], ['transfer_approvals.id'], name=op.f('fk_transfer_approval_lines_approval_id_transfer_approvals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_approval_lines')),
    sa.UniqueConstraint('approval_id', 'waste_code', name=op.f('uq_transfer_approval_lines_approval_id'))
    )
    with op.batch_alter_table('transfer_approval_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_approval_lines_approval_id'), ['approval_id'], unique=False)

    with op.batch_alter_table('manifests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transfer_approval_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_manifests_transfer_approval_id'), ['transfer_approval_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_manifests_transfer_approval_id_transfer_approvals'), 'transfer_approvals', ['transfer_approval_id'], ['id'])



def downgrade():
    with op.batch_alter_table('manifests', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_manifests_transfer_approval_id_transfer_approvals'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_manifests_transfer_approval_id'))
        batch_op.drop_column('transfer_approval_id')

    with op.batch_alter_table('transfer_approval_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_approval_lines_approval_id'))

    op.drop_table('transfer_approval_lines')
    with op.batch_alter_table('incoming_transfer_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incoming_transfer_lines_transfer_id'))

    op.drop_table('incoming_transfer_lines')
    with op.batch_alter_table('transfer_approvals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_approvals_valid_until'))
        batch_op.drop_index(batch_op.f('ix_transfer_approvals_receiver_org_id'))
        batch_op.drop_index(batch_op.f('ix_transfer_approvals_generator_org_id'))

    op.drop_table('transfer_approvals')
    with op.batch_alter_table('incoming_transfers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incoming_transfers_receiver_org_id'))
        batch_op.drop_index(batch_op.f('ix_incoming_transfers_received_on'))
        batch_op.drop_index(batch_op.f('ix_incoming_transfers_origin_district_code'))
        batch_op.drop_index(batch_op.f('ix_incoming_transfers_generator_uscc'))
        batch_op.drop_index(batch_op.f('ix_incoming_transfers_external_number'))

    op.drop_table('incoming_transfers')
