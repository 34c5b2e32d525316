"""offers and deals: the R/D method the buyer plans for hazardous waste, checked against its licence

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 16:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('offers', 'deals'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('planned_method', sa.String(length=4), nullable=True))


def downgrade():
    for table in ('offers', 'deals'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('planned_method')
