"""cases: coordination work orders, their timeline, attachments, notices and messages, the duty matrix,
the time limits and the coordination meetings

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 00:00:00

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_time_limits',
    sa.Column('urgency', sa.Enum('urgent', 'ordinary', name='urgency', native_enum=False, length=20), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=True),
    sa.Column('unit', sa.String(length=12), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('urgency', 'stage', name=op.f('pk_case_time_limits'))
    )
    op.create_table('case_duty_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_type', sa.Enum('illegal_dumping', 'open_burning', 'industrial_waste', 'hazardous_waste', 'monitoring_alert', 'inspection', 'hotline', 'emergency', 'meeting_task', 'other', name='casetype', native_enum=False, length=20), nullable=False),
    sa.Column('district_code', sa.String(length=12), nullable=True),
    sa.Column('lead_department', sa.Enum('ecology', 'urban', 'housing', 'agriculture', 'health', 'transport', 'police', name='department', native_enum=False, length=20), nullable=False),
    sa.Column('co_departments', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['district_code'], ['divisions.code'], name=op.f('fk_case_duty_rules_district_code_divisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_duty_rules')),
    sa.UniqueConstraint('case_type', 'district_code', name=op.f('uq_case_duty_rules_case_type'))
    )
    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('case_type', sa.Enum('illegal_dumping', 'open_burning', 'industrial_waste', 'hazardous_waste', 'monitoring_alert', 'inspection', 'hotline', 'emergency', 'meeting_task', 'other', name='casetype', native_enum=False, length=20), nullable=False),
    sa.Column('source', sa.Enum('report', 'alert', 'inspection', 'hotline', 'manual', 'emergency', 'meeting', name='source', native_enum=False, length=20), nullable=False),
    sa.Column('source_ref', sa.String(length=60), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('district_code', sa.String(length=12), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('lat', sa.Numeric(precision=9, scale=6), nullable=True),
    sa.Column('lon', sa.Numeric(precision=9, scale=6), nullable=True),
    sa.Column('urgency', sa.Enum('urgent', 'ordinary', name='urgency', native_enum=False, length=20), nullable=False),
    sa.Column('status', sa.Enum('received', 'dispatched', 'handling', 'replied', 'closed', 'visited', 'rated', 'rejected', name='status', native_enum=False, length=20), nullable=False),
    sa.Column('lead_department', sa.Enum('ecology', 'urban', 'housing', 'agriculture', 'health', 'transport', 'police', name='department', native_enum=False, length=20), nullable=True),
    sa.Column('co_departments', sa.JSON(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('contact_phone', sa.String(length=30), nullable=True),
    sa.Column('contact_email', sa.String(length=254), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('return_due', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('designated', sa.Boolean(), nullable=False),
    sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('rating_note', sa.Text(), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('received', 'dispatched', 'handling', 'replied', 'closed', 'visited', 'rated', 'rejected')", name=op.f('ck_cases_status_valid')),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_cases_assignee_id_users')),
    sa.ForeignKeyConstraint(['district_code'], ['divisions.code'], name=op.f('fk_cases_district_code_divisions')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_cases_opened_by_id_users')),
    sa.ForeignKeyConstraint(['parent_id'], ['cases.id'], name=op.f('fk_cases_parent_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('number', name=op.f('uq_cases_number')),
    sa.UniqueConstraint('source', 'source_ref', name=op.f('uq_cases_source'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_case_type'), ['case_type'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_district_code'), ['district_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_lead_department'), ['lead_department'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_opened_at'), ['opened_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_source'), ['source'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_status'), ['status'], unique=False)

    op.create_table('case_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('status', sa.Enum('received', 'dispatched', 'handling', 'replied', 'closed', 'visited', 'rated', 'rejected', name='status', native_enum=False, length=20), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('department', sa.Enum('ecology', 'urban', 'housing', 'agriculture', 'health', 'transport', 'police', name='department', native_enum=False, length=20), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_case_events_actor_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_events_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_events'))
    )
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_events_case_id'), ['case_id'], unique=False)

    op.create_table('case_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_messages_case_id_cases')),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox_messages.id'], name=op.f('fk_case_messages_outbox_id_outbox_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_messages'))
    )
    with op.batch_alter_table('case_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_messages_case_id'), ['case_id'], unique=False)

    op.create_table('case_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_notices_case_id_cases')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_case_notices_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_notices'))
    )
    with op.batch_alter_table('case_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_notices_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_notices_user_id'), ['user_id'], unique=False)

    op.create_table('case_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('filename', sa.String(length=100), nullable=False),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_attachments_case_id_cases')),
    sa.ForeignKeyConstraint(['event_id'], ['case_events.id'], name=op.f('fk_case_attachments_event_id_case_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_attachments')),
    sa.UniqueConstraint('filename', name=op.f('uq_case_attachments_filename'))
    )
    with op.batch_alter_table('case_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_attachments_case_id'), ['case_id'], unique=False)
    op.create_table('case_meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=True),
    sa.Column('agenda', sa.Text(), nullable=False),
    sa.Column('minutes', sa.Text(), nullable=True),
    sa.Column('video_url', sa.String(length=300), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_meetings_case_id_cases')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_case_meetings_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_meetings'))
    )
    with op.batch_alter_table('case_meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_meetings_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_meetings_starts_at'), ['starts_at'], unique=False)

    op.create_table('case_meeting_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('department', sa.Enum('ecology', 'urban', 'housing', 'agriculture', 'health', 'transport', 'police', name='department', native_enum=False, length=20), nullable=False),
    sa.Column('task_case_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['meeting_id'], ['case_meetings.id'], name=op.f('fk_case_meeting_decisions_meeting_id_case_meetings')),
    sa.ForeignKeyConstraint(['task_case_id'], ['cases.id'], name=op.f('fk_case_meeting_decisions_task_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_meeting_decisions'))
    )
    with op.batch_alter_table('case_meeting_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_meeting_decisions_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('case_meeting_participants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['case_meetings.id'], name=op.f('fk_case_meeting_participants_meeting_id_case_meetings')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_case_meeting_participants_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_meeting_participants')),
    sa.UniqueConstraint('meeting_id', 'user_id', name=op.f('uq_case_meeting_participants_meeting_id'))
    )
    with op.batch_alter_table('case_meeting_participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_meeting_participants_meeting_id'), ['meeting_id'], unique=False)


def downgrade():
    with op.batch_alter_table('case_meeting_participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_meeting_participants_meeting_id'))

    op.drop_table('case_meeting_participants')
    with op.batch_alter_table('case_meeting_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_meeting_decisions_meeting_id'))

    op.drop_table('case_meeting_decisions')
    with op.batch_alter_table('case_meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_meetings_starts_at'))
        batch_op.drop_index(batch_op.f('ix_case_meetings_case_id'))

    op.drop_table('case_meetings')
    with op.batch_alter_table('case_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_attachments_case_id'))

    op.drop_table('case_attachments')
    with op.batch_alter_table('case_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_notices_user_id'))
        batch_op.drop_index(batch_op.f('ix_case_notices_case_id'))

    op.drop_table('case_notices')
    with op.batch_alter_table('case_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_messages_case_id'))

    op.drop_table('case_messages')
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_events_case_id'))

    op.drop_table('case_events')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_status'))
        batch_op.drop_index(batch_op.f('ix_cases_source'))
        batch_op.drop_index(batch_op.f('ix_cases_opened_at'))
        batch_op.drop_index(batch_op.f('ix_cases_lead_department'))
        batch_op.drop_index(batch_op.f('ix_cases_due_at'))
        batch_op.drop_index(batch_op.f('ix_cases_district_code'))
        batch_op.drop_index(batch_op.f('ix_cases_case_type'))
        batch_op.drop_index(batch_op.f('ix_cases_assignee_id'))

    op.drop_table('cases')
    op.drop_table('case_duty_rules')
    op.drop_table('case_time_limits')
