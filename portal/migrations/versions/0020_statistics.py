"""statistics: the aggregates derived from the ledger (statistic_figures) and the refresh's watermark

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 00:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'statistic_figures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('year', sa.SmallInteger(), nullable=False),
        sa.Column('month', sa.SmallInteger(), nullable=False),
        sa.Column('measure', sa.String(length=24), nullable=False),
        sa.Column('stream', sa.String(length=20), nullable=False),
        sa.Column('waste_code', sa.String(length=12), nullable=False),
        sa.Column('category', sa.String(length=10), nullable=True),
        sa.Column('district_code', sa.String(length=12), nullable=True),
        sa.Column('township_code', sa.String(length=12), nullable=True),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('grams', sa.BigInteger(), nullable=False),
        sa.Column('events', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_statistic_figures_day', 'statistic_figures', ['day'])
    op.create_index('ix_statistic_figures_measure_day', 'statistic_figures', ['measure', 'day'])
    op.create_index('ix_statistic_figures_measure_year_month', 'statistic_figures', ['measure', 'year', 'month'])
    op.create_table(
        'statistics_state',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('last_event_id', sa.BigInteger(), nullable=False),
        sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('rebuilt_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('version', sa.String(length=20), nullable=False),
        sa.Column('gaps', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )


def downgrade():
    op.drop_table('statistics_state')
    op.drop_index('ix_statistic_figures_measure_year_month', table_name='statistic_figures')
    op.drop_index('ix_statistic_figures_measure_day', table_name='statistic_figures')
    op.drop_index('ix_statistic_figures_day', table_name='statistic_figures')
    op.drop_table('statistic_figures')
