"""limits per person per day, week and month (clinic bookings; off by default)

Revision ID: d7f1b3c5e829
Revises: c5e8a2f4d617
Create Date: 2026-12-03 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7f1b3c5e829'
down_revision = 'c5e8a2f4d617'
branch_labels = None
depends_on = None

POSITIVE = ("(max_per_day IS NULL OR max_per_day >= 1) AND "
            "(max_per_week IS NULL OR max_per_week >= 1) AND "
            "(max_per_month IS NULL OR max_per_month >= 1)")


def upgrade():
    with op.batch_alter_table('booking_policies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('max_per_day', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('max_per_week', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('max_per_month', sa.Integer(), nullable=True))
        batch_op.create_check_constraint('period_limits_positive', POSITIVE)


def downgrade():
    with op.batch_alter_table('booking_policies', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_booking_policies_period_limits_positive'),
                                 type_='check')
        batch_op.drop_column('max_per_month')
        batch_op.drop_column('max_per_week')
        batch_op.drop_column('max_per_day')
