"""complete hand-overs (scan exceptions) and gate weights at receipt

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 16:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('manifest_scan_exceptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('manifest_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('leg', sa.Integer(), nullable=False),
    sa.Column('container_id', sa.Integer(), nullable=False),
    sa.Column('container_code', sa.String(length=40), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('photo_sha256', sa.String(length=64), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("action IN ('pick_up', 'hand_over', 'deliver')", name=op.f('ck_manifest_scan_exceptions_action_known')),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_manifest_scan_exceptions_batch_id_batches')),
    sa.ForeignKeyConstraint(['container_id'], ['containers.id'], name=op.f('fk_manifest_scan_exceptions_container_id_containers')),
    sa.ForeignKeyConstraint(['manifest_id'], ['manifests.id'], name=op.f('fk_manifest_scan_exceptions_manifest_id_manifests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_manifest_scan_exceptions_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_manifest_scan_exceptions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_manifest_scan_exceptions')),
    sa.UniqueConstraint('manifest_id', 'action', 'leg', 'container_id', name=op.f('uq_manifest_scan_exceptions_manifest_id'))
    )
    with op.batch_alter_table('manifest_scan_exceptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_manifest_scan_exceptions_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_manifest_scan_exceptions_container_id'), ['container_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_manifest_scan_exceptions_manifest_id'), ['manifest_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_manifest_scan_exceptions_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('manifest_gate_weighings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('manifest_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.Column('ticket_no', sa.String(length=60), nullable=True),
    sa.Column('gross_g', sa.Integer(), nullable=True),
    sa.Column('tare_g', sa.Integer(), nullable=True),
    sa.Column('net_g', sa.Integer(), nullable=False),
    sa.Column('weighed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('counted', sa.Boolean(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=True),
    sa.Column('request_hash', sa.String(length=64), nullable=True),
    sa.CheckConstraint("source IN ('manual', 'device')", name=op.f('ck_manifest_gate_weighings_source_known')),
    sa.ForeignKeyConstraint(['device_id'], ['weighing_devices.id'], name=op.f('fk_manifest_gate_weighings_device_id_weighing_devices')),
    sa.ForeignKeyConstraint(['manifest_id'], ['manifests.id'], name=op.f('fk_manifest_gate_weighings_manifest_id_manifests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_manifest_gate_weighings_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_manifest_gate_weighings_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_manifest_gate_weighings')),
    sa.UniqueConstraint('device_id', 'idempotency_key', name=op.f('uq_manifest_gate_weighings_device_id'))
    )
    with op.batch_alter_table('manifest_gate_weighings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_manifest_gate_weighings_device_id'), ['device_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_manifest_gate_weighings_manifest_id'), ['manifest_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_manifest_gate_weighings_organisation_id'), ['organisation_id'], unique=False)


def downgrade():
    op.drop_table('manifest_gate_weighings')
    op.drop_table('manifest_scan_exceptions')
