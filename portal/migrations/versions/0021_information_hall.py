"""information hall: document kinds (with the three the hall starts with), documents, attachments, and the SQL
search index of the documents (an FTS5 table on SQLite, a GIN index on PostgreSQL)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 00:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

KINDS = (("policy", "政策法规", "Policies and regulations", 1),
         ("notice", "通知公告", "Notices", 2),
         ("guide", "办事指南", "Service guides", 3))


def upgrade():
    from portal.hall.search import create_statements

    kinds = op.create_table(
        'hall_kinds',
        sa.Column('slug', sa.String(length=30), nullable=False),
        sa.Column('name_zh', sa.String(length=40), nullable=False),
        sa.Column('name_en', sa.String(length=60), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('slug', name=op.f('pk_hall_kinds')),
    )
    op.bulk_insert(kinds, [dict(zip(('slug', 'name_zh', 'name_en', 'position'), k)) for k in KINDS])
    op.create_table(
        'hall_documents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind_slug', sa.String(length=30), nullable=False),
        sa.Column('title_zh', sa.String(length=200), nullable=False),
        sa.Column('title_en', sa.String(length=300), nullable=True),
        sa.Column('body_zh', sa.Text(), nullable=False),
        sa.Column('body_en', sa.Text(), nullable=True),
        sa.Column('department', sa.Enum('ecology', 'urban', 'housing', 'agriculture', 'health', 'transport', 'police',
                                        name='department', native_enum=False, length=20), nullable=False),
        sa.Column('jurisdiction_code', sa.String(length=12), nullable=False),
        sa.Column('document_number', sa.String(length=80), nullable=True),
        sa.Column('issued_on', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('search_text', sa.Text(), nullable=False),
        sa.Column('search_tokens', sa.Text(), nullable=False),
        sa.Column('index_pending', sa.Boolean(), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'published', 'withdrawn')",
                           name=op.f('ck_hall_documents_status_valid')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_hall_documents_created_by_id_users')),
        sa.ForeignKeyConstraint(['jurisdiction_code'], ['divisions.code'],
                                name=op.f('fk_hall_documents_jurisdiction_code_divisions')),
        sa.ForeignKeyConstraint(['kind_slug'], ['hall_kinds.slug'], name=op.f('fk_hall_documents_kind_slug_hall_kinds')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_hall_documents')),
    )
    with op.batch_alter_table('hall_documents', schema=None) as batch_op:
        for column in ('kind_slug', 'department', 'issued_on', 'status', 'published_at', 'index_pending'):
            batch_op.create_index(batch_op.f(f'ix_hall_documents_{column}'), [column], unique=False)
    op.create_table(
        'hall_attachments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('stored_name', sa.String(length=60), nullable=False),
        sa.Column('extension', sa.String(length=10), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['hall_documents.id'],
                                name=op.f('fk_hall_attachments_document_id_hall_documents')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_hall_attachments')),
    )
    with op.batch_alter_table('hall_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hall_attachments_document_id'), ['document_id'], unique=False)
    for ddl in create_statements(op.get_bind().dialect.name):
        op.execute(ddl)


def downgrade():
    from portal.hall.search import drop_statements

    for ddl in drop_statements(op.get_bind().dialect.name):
        op.execute(ddl)
    with op.batch_alter_table('hall_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hall_attachments_document_id'))
    op.drop_table('hall_attachments')
    with op.batch_alter_table('hall_documents', schema=None) as batch_op:
        for column in ('index_pending', 'published_at', 'status', 'issued_on', 'department', 'kind_slug'):
            batch_op.drop_index(batch_op.f(f'ix_hall_documents_{column}'))
    op.drop_table('hall_documents')
    op.drop_table('hall_kinds')
