"""queue numbers follow the clock: each slot owns a range of numbers, and a number is
unique among a session's active bookings only (a cancelled place's number is free again)

Sessions booked before this keep their numbers; their slots get ranges after the
numbers already given, at their next booking.

Revision ID: f2a9d4c6b813
Revises: e41b8c2d7a65
Create Date: 2026-12-03 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f2a9d4c6b813'
down_revision = 'e41b8c2d7a65'
branch_labels = None
depends_on = None

ACTIVE = sa.text("status IN ('confirmed', 'checked_in')")


def upgrade():
    with op.batch_alter_table('slots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_number', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('numbers', sa.Integer(), nullable=False,
                                      server_default='0'))
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_constraint('uq_bookings_session_id_queue_number', type_='unique')
        batch_op.create_index('uq_bookings_active_number', ['session_id', 'queue_number'],
                              unique=True, sqlite_where=ACTIVE, postgresql_where=ACTIVE)


def downgrade():
    # Numbers may now repeat among a session's bookings (a cancelled place's number
    # used again); the old constraint wants them unique, so the bookings that hold
    # none give theirs up (-id) first.
    op.execute(sa.text("UPDATE bookings SET queue_number = -id WHERE NOT (" + ACTIVE.text
                       + ")"))
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('uq_bookings_active_number', sqlite_where=ACTIVE,
                            postgresql_where=ACTIVE)
        batch_op.create_unique_constraint('uq_bookings_session_id_queue_number',
                                          ['session_id', 'queue_number'])
    with op.batch_alter_table('slots', schema=None) as batch_op:
        batch_op.drop_column('numbers')
        batch_op.drop_column('first_number')
