"""ledger: partial index of treated events, for the trace landing page's tonnes treated per stream

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 13:09:14.603684

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ledger_events', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_events_treated', ['batch_id', 'quantity_g'], unique=False, postgresql_where=sa.text("event_type = 'treated'"), sqlite_where=sa.text("event_type = 'treated'"))


def downgrade():
    with op.batch_alter_table('ledger_events', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_events_treated', postgresql_where=sa.text("event_type = 'treated'"), sqlite_where=sa.text("event_type = 'treated'"))
