"""carriers as records: road transport licences, vehicles, drivers and escorts; manifest legs name them, and
manifest lines carry the declared dangerous goods class

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 16:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('transport_licences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('issuing_authority', sa.String(length=200), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('dangerous_goods', sa.JSON(), nullable=False),
    sa.Column('general_freight', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_transport_licences_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transport_licences')),
    sa.UniqueConstraint('number', name=op.f('uq_transport_licences_number'))
    )
    with op.batch_alter_table('transport_licences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transport_licences_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transport_licences_valid_until'), ['valid_until'], unique=False)

    op.create_table('transport_workers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('certificate_number', sa.String(length=40), nullable=False),
    sa.Column('certificate_valid_until', sa.Date(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('driver', 'escort')", name=op.f('ck_transport_workers_kind_known')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_transport_workers_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transport_workers')),
    sa.UniqueConstraint('organisation_id', 'kind', 'id_number', name=op.f('uq_transport_workers_organisation_id'))
    )
    with op.batch_alter_table('transport_workers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transport_workers_certificate_valid_until'), ['certificate_valid_until'], unique=False)
        batch_op.create_index(batch_op.f('ix_transport_workers_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('vehicles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('plate', sa.String(length=12), nullable=False),
    sa.Column('vehicle_type', sa.String(length=20), nullable=False),
    sa.Column('rated_load_kg', sa.Integer(), nullable=False),
    sa.Column('permit_number', sa.String(length=40), nullable=False),
    sa.Column('permit_valid_until', sa.Date(), nullable=False),
    sa.Column('gps_device_id', sa.String(length=40), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("vehicle_type IN ('tank_truck', 'van_truck', 'box_truck', 'flatbed_truck', 'tractor', 'semi_trailer', 'other')", name=op.f('ck_vehicles_vehicle_type_known')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_vehicles_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vehicles')),
    sa.UniqueConstraint('gps_device_id', name=op.f('uq_vehicles_gps_device_id')),
    sa.UniqueConstraint('plate', name=op.f('uq_vehicles_plate'))
    )
    with op.batch_alter_table('vehicles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vehicles_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vehicles_permit_valid_until'), ['permit_valid_until'], unique=False)

    with op.batch_alter_table('manifest_carriers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vehicle_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('driver_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('escort_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_manifest_carriers_driver_id'), ['driver_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_manifest_carriers_escort_id'), ['escort_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_manifest_carriers_vehicle_id'), ['vehicle_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_manifest_carriers_driver_id_transport_workers'), 'transport_workers', ['driver_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_manifest_carriers_escort_id_transport_workers'), 'transport_workers', ['escort_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_manifest_carriers_vehicle_id_vehicles'), 'vehicles', ['vehicle_id'], ['id'])

    with op.batch_alter_table('manifest_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dangerous_goods_class', sa.String(length=4), nullable=True))



def downgrade():
    with op.batch_alter_table('manifest_lines', schema=None) as batch_op:
        batch_op.drop_column('dangerous_goods_class')

    with op.batch_alter_table('manifest_carriers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_manifest_carriers_vehicle_id_vehicles'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_manifest_carriers_escort_id_transport_workers'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_manifest_carriers_driver_id_transport_workers'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_manifest_carriers_vehicle_id'))
        batch_op.drop_index(batch_op.f('ix_manifest_carriers_escort_id'))
        batch_op.drop_index(batch_op.f('ix_manifest_carriers_driver_id'))
        batch_op.drop_column('escort_id')
        batch_op.drop_column('driver_id')
        batch_op.drop_column('vehicle_id')

    with op.batch_alter_table('vehicles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vehicles_permit_valid_until'))
        batch_op.drop_index(batch_op.f('ix_vehicles_organisation_id'))

    op.drop_table('vehicles')
    with op.batch_alter_table('transport_workers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transport_workers_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_transport_workers_certificate_valid_until'))

    op.drop_table('transport_workers')
    with op.batch_alter_table('transport_licences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transport_licences_valid_until'))
        batch_op.drop_index(batch_op.f('ix_transport_licences_organisation_id'))

    op.drop_table('transport_licences')
