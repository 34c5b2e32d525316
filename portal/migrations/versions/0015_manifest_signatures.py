"""manifest signatures: organisations' signing keys (Ed25519); each step signed, old hash seals kept as sha256-seal

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 16:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'signing_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key_id', sa.String(length=32), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('algorithm', sa.String(length=20), nullable=False),
        sa.Column('public_key', sa.Text(), nullable=False),
        sa.Column('private_key_encrypted', sa.Text(), nullable=False),
        sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
        sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revocation_reason', sa.Text(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_signing_keys_created_by_id_users')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_signing_keys_organisation_id_organisations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_signing_keys')),
        sa.UniqueConstraint('key_id', name=op.f('uq_signing_keys_key_id')),
    )
    with op.batch_alter_table('signing_keys', schema=None) as batch_op:
        batch_op.create_index('ix_signing_keys_organisation_id', ['organisation_id'], unique=False)
        batch_op.create_index('uq_signing_keys_active', ['organisation_id'], unique=True,
                              postgresql_where=sa.text('retired_at IS NULL'),
                              sqlite_where=sa.text('retired_at IS NULL'))

    with op.batch_alter_table('manifest_signatures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('algorithm', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('signing_key_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('signature', sa.Text(), nullable=True))
        batch_op.create_index('ix_manifest_signatures_signing_key_id', ['signing_key_id'], unique=False)
        batch_op.create_foreign_key('fk_manifest_signatures_signing_key_id_signing_keys', 'signing_keys',
                                    ['signing_key_id'], ['id'])
    # the steps signed before keys existed stay verifiable by their hash
    op.execute("UPDATE manifest_signatures SET algorithm = 'sha256-seal', signature = hash")
    with op.batch_alter_table('manifest_signatures', schema=None) as batch_op:
        batch_op.alter_column('algorithm', existing_type=sa.String(length=20), nullable=False)
        batch_op.alter_column('signature', existing_type=sa.Text(), nullable=False)


def downgrade():
    with op.batch_alter_table('manifest_signatures', schema=None) as batch_op:
        batch_op.drop_constraint('fk_manifest_signatures_signing_key_id_signing_keys', type_='foreignkey')
        batch_op.drop_index('ix_manifest_signatures_signing_key_id')
        batch_op.drop_column('signature')
        batch_op.drop_column('signing_key_id')
        batch_op.drop_column('algorithm')
    with op.batch_alter_table('signing_keys', schema=None) as batch_op:
        batch_op.drop_index('uq_signing_keys_active', postgresql_where=sa.text('retired_at IS NULL'),
                            sqlite_where=sa.text('retired_at IS NULL'))
        batch_op.drop_index('ix_signing_keys_organisation_id')
    op.drop_table('signing_keys')
