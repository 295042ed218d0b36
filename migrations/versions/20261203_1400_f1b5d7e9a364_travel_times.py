"""the township × township travel-time table the admin keeps

Revision ID: f1b5d7e9a364
Revises: e9a3c5d7f142
Create Date: 2026-12-03 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1b5d7e9a364'
down_revision = 'e9a3c5d7f142'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'travel_times',
        sa.Column('from_township_id', sa.Integer(), nullable=False),
        sa.Column('to_township_id', sa.Integer(), nullable=False),
        sa.Column('minutes', sa.Integer(), nullable=False),
        sa.CheckConstraint('from_township_id < to_township_id',
                           name=op.f('ck_travel_times_ordered_pair')),
        sa.CheckConstraint('minutes BETWEEN 1 AND 600', name=op.f('ck_travel_times_minutes_sane')),
        sa.ForeignKeyConstraint(['from_township_id'], ['townships.id'],
                                name=op.f('fk_travel_times_from_township_id_townships'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['to_township_id'], ['townships.id'],
                                name=op.f('fk_travel_times_to_township_id_townships'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('from_township_id', 'to_township_id',
                                name=op.f('pk_travel_times')),
    )


def downgrade():
    op.drop_table('travel_times')
