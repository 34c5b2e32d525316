"""refused waste return and forwarding: follow-up manifests linked to the refused one, and the city's versioned
deadline for starting them

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 16:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('manifests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('follows_manifest_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('follow_up_kind', sa.String(length=10), nullable=True))
        batch_op.create_index(batch_op.f('ix_manifests_follows_manifest_id'), ['follows_manifest_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_manifests_follows_manifest_id_manifests'), 'manifests',
                                    ['follows_manifest_id'], ['id'])
        batch_op.create_check_constraint('follow_up_kind_known', "follow_up_kind IN ('return', 'forward')")
    with op.batch_alter_table('manifest_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('follows_line_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_manifest_lines_follows_line_id'), ['follows_line_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_manifest_lines_follows_line_id_manifest_lines'),
                                    'manifest_lines', ['follows_line_id'], ['id'])
    op.create_table('refusal_follow_up_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('working_days', sa.Integer(), nullable=False),
    sa.Column('in_force_from', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                            name=op.f('fk_refusal_follow_up_settings_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refusal_follow_up_settings'))
    )
    with op.batch_alter_table('refusal_follow_up_settings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refusal_follow_up_settings_in_force_from'), ['in_force_from'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('refusal_follow_up_settings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refusal_follow_up_settings_in_force_from'))
    op.drop_table('refusal_follow_up_settings')
    with op.batch_alter_table('manifest_lines', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_manifest_lines_follows_line_id_manifest_lines'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_manifest_lines_follows_line_id'))
        batch_op.drop_column('follows_line_id')
    with op.batch_alter_table('manifests', schema=None) as batch_op:
        batch_op.drop_constraint('follow_up_kind_known', type_='check')
        batch_op.drop_constraint(batch_op.f('fk_manifests_follows_manifest_id_manifests'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_manifests_follows_manifest_id'))
        batch_op.drop_column('follow_up_kind')
        batch_op.drop_column('follows_manifest_id')
