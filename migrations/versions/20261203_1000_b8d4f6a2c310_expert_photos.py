"""experts' photos, re-encoded by the site

Revision ID: b8d4f6a2c310
Revises: a7c3e5f1b209
Create Date: 2026-12-03 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8d4f6a2c310'
down_revision = 'a7c3e5f1b209'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'expert_photos',
        sa.Column('expert_id', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['expert_id'], ['experts.id'],
                                name=op.f('fk_expert_photos_expert_id_experts'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('expert_id', name=op.f('pk_expert_photos')),
    )
    with op.batch_alter_table('experts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('photo_version', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('experts', schema=None) as batch_op:
        batch_op.drop_column('photo_version')
    op.drop_table('expert_photos')
