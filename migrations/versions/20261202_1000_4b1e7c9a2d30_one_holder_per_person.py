"""one account per person is that person's own: a partial unique index on the holder

Revision ID: 4b1e7c9a2d30
Revises: 8c2f6d1e4a7b
Create Date: 2026-12-02 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4b1e7c9a2d30'
down_revision = '8c2f6d1e4a7b'
branch_labels = None
depends_on = None

HOLDER = "relation = 'self' AND account_id IS NOT NULL"


def upgrade():
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.create_index('uq_patients_holder', ['id_number_hash'], unique=True,
                              sqlite_where=sa.text(HOLDER), postgresql_where=sa.text(HOLDER))


def downgrade():
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_index('uq_patients_holder')
