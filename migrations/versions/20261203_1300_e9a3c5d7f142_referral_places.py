"""referral places (转诊号源): slots keep places for referred patients until a release
time; bookings carry a referral note and a fourth source

Revision ID: e9a3c5d7f142
Revises: d7f1b3c5e829
Create Date: 2026-12-03 13:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e9a3c5d7f142'
down_revision = 'd7f1b3c5e829'
branch_labels = None
depends_on = None

OLD_SOURCES = ('web', 'api', 'front_desk')
NEW_SOURCES = OLD_SOURCES + ('referral',)
WITHIN = ("reserved >= 0 AND reserved <= capacity AND referred_count >= 0 "
          "AND referred_count <= reserved")


def _source(values):
    return sa.Enum(*values, name='booking_source', native_enum=False, create_constraint=True,
                   length=max(map(len, values)))


def upgrade():
    with op.batch_alter_table('slots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reserved', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('referred_count', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('reserved_until', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.create_check_constraint('referrals_within_reserved', WITHIN)
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('referral_note', sa.String(length=200), nullable=False,
                                      server_default=''))
        batch_op.alter_column('source', existing_type=_source(OLD_SOURCES),
                              type_=_source(NEW_SOURCES), existing_nullable=False)


def downgrade():
    op.execute(sa.text("UPDATE bookings SET source = 'front_desk' WHERE source = 'referral'"))
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.alter_column('source', existing_type=_source(NEW_SOURCES),
                              type_=_source(OLD_SOURCES), existing_nullable=False)
        batch_op.drop_column('referral_note')
    with op.batch_alter_table('slots', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_slots_referrals_within_reserved'),
                                 type_='check')
        batch_op.drop_column('reserved_until')
        batch_op.drop_column('referred_count')
        batch_op.drop_column('reserved')
