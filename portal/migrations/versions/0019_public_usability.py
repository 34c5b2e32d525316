"""usability: the business licence sent with an organisation's registration

The payee's bank account needs no column: payee_profiles has had it since the payments work; a payment
is now refused, not stored differently, while it is missing.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 20:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organisations') as batch:
        batch.add_column(sa.Column('licence_file', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('licence_name', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('licence_uploaded_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('organisations') as batch:
        batch.drop_column('licence_uploaded_at')
        batch.drop_column('licence_name')
        batch.drop_column('licence_file')
