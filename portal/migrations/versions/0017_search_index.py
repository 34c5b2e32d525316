"""SQL search inverted index: listings.search_tokens, a GIN index (PostgreSQL) or an FTS5 table (SQLite)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 20:20:00

The keys are computed from the stored search_text by marketplace.search.index.search_tokens, the same
function the listing service uses, so the backfill and later updates agree.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    from marketplace.search.index import create_statements, search_tokens

    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_tokens', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.alter_column('search_tokens', server_default=None)
    connection = op.get_bind()
    listings = sa.table('listings', sa.column('id', sa.Integer), sa.column('search_text', sa.Text),
                        sa.column('search_tokens', sa.Text))
    statement = (listings.update().where(listings.c.id == sa.bindparam('b_id'))
                 .values(search_tokens=sa.bindparam('b_tokens')))
    last = 0
    while rows := connection.execute(sa.select(listings.c.id, listings.c.search_text)
                                     .where(listings.c.id > last).order_by(listings.c.id).limit(5000)).all():
        connection.execute(statement, [{'b_id': i, 'b_tokens': search_tokens(t or '')} for i, t in rows])
        last = rows[-1][0]
    for ddl in create_statements(connection.dialect.name):
        op.execute(ddl)
    if connection.dialect.name == 'sqlite':
        op.execute("INSERT INTO listings_fts(listings_fts) VALUES ('rebuild')")


def downgrade():
    from marketplace.search.index import drop_statements

    for ddl in drop_statements(op.get_bind().dialect.name):
        op.execute(ddl)
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.drop_column('search_tokens')
