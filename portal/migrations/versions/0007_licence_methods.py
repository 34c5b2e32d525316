"""manifests: the planned R/D method of each line, checked against the receiver's licence scope

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 15:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('manifest_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('planned_method', sa.String(length=4), nullable=True))


def downgrade():
    with op.batch_alter_table('manifest_lines', schema=None) as batch_op:
        batch_op.drop_column('planned_method')
