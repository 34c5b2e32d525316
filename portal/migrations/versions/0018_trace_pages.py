"""trace pages: the trace snapshot keeps the page's HTML per code and language

Snapshots that exist before this revision get their pages from the next `wufei ledger verify` (or when their
batch's ledger moves); until then their pages are assembled from the body, as before.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 20:20:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('trace_snapshots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pages', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()),
                                                                      'postgresql'), nullable=True))


def downgrade():
    with op.batch_alter_table('trace_snapshots', schema=None) as batch_op:
        batch_op.drop_column('pages')
