"""doctor cards and English names: experts' 擅长 and English title, English names of
specialties and institutions

Revision ID: c3f7a1d9e2b4
Revises: 9b4d2e6f1a83
Create Date: 2026-12-02 22:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3f7a1d9e2b4'
down_revision = '9b4d2e6f1a83'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('experts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expertise', sa.String(length=200), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('title_en', sa.String(length=60), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('specialties', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_en', sa.String(length=80), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('institutions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_en', sa.String(length=160), nullable=False,
                                      server_default=''))


def downgrade():
    with op.batch_alter_table('institutions', schema=None) as batch_op:
        batch_op.drop_column('name_en')
    with op.batch_alter_table('specialties', schema=None) as batch_op:
        batch_op.drop_column('name_en')
    with op.batch_alter_table('experts', schema=None) as batch_op:
        batch_op.drop_column('title_en')
        batch_op.drop_column('expertise')
