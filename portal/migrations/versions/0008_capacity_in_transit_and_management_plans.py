"""management plans (危险废物管理计划): plans, their lines per waste code, intended receivers per line

Capacity in transit needs no schema: it is summed from the manifests.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 16:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('management_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('district_code', sa.String(length=12), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('measures', sa.Text(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('return_reason', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('draft', 'submitted', 'returned', 'accepted')", name=op.f('ck_management_plans_status_valid')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_management_plans_created_by_id_users')),
    sa.ForeignKeyConstraint(['district_code'], ['divisions.code'], name=op.f('fk_management_plans_district_code_divisions')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_management_plans_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_management_plans_reviewed_by_id_users')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_management_plans_submitted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_management_plans')),
    sa.UniqueConstraint('organisation_id', 'year', name=op.f('uq_management_plans_organisation_id'))
    )
    with op.batch_alter_table('management_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_management_plans_district_code'), ['district_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_management_plans_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_management_plans_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_management_plans_submitted_at'), ['submitted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_management_plans_year'), ['year'], unique=False)

    op.create_table('management_plan_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('waste_code', sa.String(length=12), nullable=False),
    sa.Column('expected_g', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=True),
    sa.Column('max_stored_g', sa.Integer(), nullable=False),
    sa.Column('own_g', sa.Integer(), nullable=False),
    sa.Column('own_method', sa.String(length=4), nullable=True),
    sa.ForeignKeyConstraint(['facility_id'], ['storage_facilities.id'], name=op.f('fk_management_plan_lines_facility_id_storage_facilities')),
    sa.ForeignKeyConstraint(['plan_id'], ['management_plans.id'], name=op.f('fk_management_plan_lines_plan_id_management_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_management_plan_lines')),
    sa.UniqueConstraint('plan_id', 'waste_code', name=op.f('uq_management_plan_lines_plan_id'))
    )
    with op.batch_alter_table('management_plan_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_management_plan_lines_plan_id'), ['plan_id'], unique=False)

    op.create_table('management_plan_receivers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['line_id'], ['management_plan_lines.id'], name=op.f('fk_management_plan_receivers_line_id_management_plan_lines'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_management_plan_receivers_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_management_plan_receivers')),
    sa.UniqueConstraint('line_id', 'organisation_id', name=op.f('uq_management_plan_receivers_line_id'))
    )
    with op.batch_alter_table('management_plan_receivers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_management_plan_receivers_line_id'), ['line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_management_plan_receivers_organisation_id'), ['organisation_id'], unique=False)



def downgrade():
    with op.batch_alter_table('management_plan_receivers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_management_plan_receivers_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_management_plan_receivers_line_id'))

    op.drop_table('management_plan_receivers')
    with op.batch_alter_table('management_plan_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_management_plan_lines_plan_id'))

    op.drop_table('management_plan_lines')
    with op.batch_alter_table('management_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_management_plans_year'))
        batch_op.drop_index(batch_op.f('ix_management_plans_submitted_at'))
        batch_op.drop_index(batch_op.f('ix_management_plans_status'))
        batch_op.drop_index(batch_op.f('ix_management_plans_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_management_plans_district_code'))

    op.drop_table('management_plans')
