"""index the API's kept responses by age, for the hourly purge

Revision ID: 8c2f6d1e4a7b
Revises: 5be1c0a7d9f2
Create Date: 2026-11-29 16:50:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '8c2f6d1e4a7b'
down_revision = '5be1c0a7d9f2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_idempotency_records', schema=None) as batch_op:
        batch_op.create_index('ix_api_idempotency_records_created', ['created_dt'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('api_idempotency_records', schema=None) as batch_op:
        batch_op.drop_index('ix_api_idempotency_records_created')
