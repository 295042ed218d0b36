"""the scheduler's heartbeat is its lease: which scheduler (host:pid) runs the jobs

Revision ID: e6a8c0d2f479
Revises: d5f7b9c1e368
Create Date: 2026-12-03 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e6a8c0d2f479'
down_revision = 'd5f7b9c1e368'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('scheduler_heartbeats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner', sa.String(length=120), server_default='',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('scheduler_heartbeats', schema=None) as batch_op:
        batch_op.drop_column('owner')
