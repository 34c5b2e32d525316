"""search vector: the SQL search's keys stored as a tsvector on PostgreSQL (a generated column with its GIN index)

The GIN index of migration 0017 was on the expression search_tokens::tsvector: a query rechecking or ranking a
row parsed its keys again. listings.search_vector keeps them parsed, computed by the database in the listing's
own transaction. It lives next to the models (marketplace.search.index); SQLite keeps its FTS5 table.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 00:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

EXPRESSION_INDEX = 'ix_listings_search_tokens'


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(f'DROP INDEX IF EXISTS {EXPRESSION_INDEX}')
    op.execute('ALTER TABLE listings ADD COLUMN IF NOT EXISTS search_vector tsvector '
               'GENERATED ALWAYS AS (search_tokens::tsvector) STORED')
    op.execute('CREATE INDEX IF NOT EXISTS ix_listings_search_vector ON listings USING gin (search_vector)')


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('DROP INDEX IF EXISTS ix_listings_search_vector')
    op.execute('ALTER TABLE listings DROP COLUMN IF EXISTS search_vector')
    op.execute(f'CREATE INDEX {EXPRESSION_INDEX} ON listings USING gin ((search_tokens::tsvector))')
