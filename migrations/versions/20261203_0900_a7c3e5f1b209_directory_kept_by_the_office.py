"""the directory kept by the programme office: townships, institutions, venues and
specialties can be retired (is_enabled), venues say how to get there

Revision ID: a7c3e5f1b209
Revises: f2a9d4c6b813
Create Date: 2026-12-03 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e5f1b209'
down_revision = 'f2a9d4c6b813'
branch_labels = None
depends_on = None

TABLES = ('townships', 'institutions', 'venues', 'specialties')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('is_enabled', sa.Boolean(), nullable=False,
                                          server_default=sa.true()))
    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.add_column(sa.Column('directions', sa.String(length=300), nullable=False,
                                      server_default=''))


def downgrade():
    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.drop_column('directions')
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('is_enabled')
