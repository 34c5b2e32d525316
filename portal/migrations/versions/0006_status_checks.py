"""workflow: CHECK constraints on every status column

Each status column lists its states, so that no write (ORM, SQL or a bug) can leave a document in a state its
workflow does not know. The lists are frozen here as they stood at this revision.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 13:50:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# (table, column, states)
STATUS_COLUMNS = [
    ('organisations', 'status', ('pending', 'verified', 'rejected')),
    ('reports', 'status', ('submitted', 'accepted', 'assigned', 'in_progress', 'resolved', 'rejected', 'duplicate')),
    ('alerts', 'status', ('open', 'acknowledged', 'closed')),
    ('declarations', 'status', ('draft', 'submitted', 'returned', 'accepted')),
    ('demands', 'status', ('draft', 'published', 'closed', 'expired')),
    ('licences', 'status', ('active', 'suspended', 'revoked')),
    ('manifests', 'state', ('draft', 'submitted', 'in_transit', 'handed_over', 'delivered', 'received', 'partly_received', 'refused', 'treated', 'cancelled')),
    ('batches', 'status', ('open', 'merged', 'in_transit', 'received', 'treated', 'closed')),
    ('listings', 'status', ('draft', 'published', 'paused', 'sold_out', 'expired', 'withdrawn')),
    ('manifest_revisions', 'status', ('proposed', 'applied', 'rejected')),
    ('containers', 'status', ('created', 'stored', 'retrieved', 'merged', 'in_transit', 'received', 'treated')),
    ('offers', 'status', ('open', 'accepted', 'declined', 'countered', 'withdrawn', 'expired')),
    ('deals', 'status', ('accepted', 'in_progress', 'completed', 'cancelled')),
    ('payments', 'status', ('pending', 'proof_uploaded', 'processing', 'confirmed', 'disputed', 'failed', 'refunded', 'cancelled')),
    ('payments', 'transfer_status', ('none', 'awaiting_account', 'released', 'reversed')),
    ('payment_refunds', 'status', ('due', 'pending', 'succeeded', 'failed')),
]


def _condition(column: str, states: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(state) for state in states)})"


def upgrade():
    for table, column, states in STATUS_COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(op.f(f"ck_{table}_{column}_valid"), _condition(column, states))


def downgrade():
    for table, column, _states in reversed(STATUS_COLUMNS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_{column}_valid"), type_="check")
