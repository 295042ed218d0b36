"""关怀版 (senior mode) remembered per account

Revision ID: e41b8c2d7a65
Revises: c3f7a1d9e2b4
Create Date: 2026-12-03 07:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e41b8c2d7a65'
down_revision = 'c3f7a1d9e2b4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('care_mode', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('care_mode')
