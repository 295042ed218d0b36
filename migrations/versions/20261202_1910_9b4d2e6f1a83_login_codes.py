"""SMS codes for logging in (验证码登录): a third purpose

Revision ID: 9b4d2e6f1a83
Revises: 5e8a1c3b7f20
Create Date: 2026-12-02 19:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9b4d2e6f1a83'
down_revision = '5e8a1c3b7f20'
branch_labels = None
depends_on = None


def _purpose(*values):
    return sa.Enum(*values, name='code_purpose', native_enum=False, create_constraint=True,
                   length=14)


def upgrade():
    # A non-native enum is a CHECK constraint: the table is rebuilt on SQLite, the
    # constraint replaced on PostgreSQL.
    with op.batch_alter_table('verification_codes', schema=None, recreate='always') as batch_op:
        batch_op.alter_column('purpose', existing_type=_purpose('register', 'reset_password'),
                              type_=_purpose('register', 'reset_password', 'login'),
                              existing_nullable=False)


def downgrade():
    op.execute("DELETE FROM verification_codes WHERE purpose = 'login'")
    with op.batch_alter_table('verification_codes', schema=None, recreate='always') as batch_op:
        batch_op.alter_column('purpose', existing_type=_purpose('register', 'reset_password',
                                                                'login'),
                              type_=_purpose('register', 'reset_password'),
                              existing_nullable=False)
