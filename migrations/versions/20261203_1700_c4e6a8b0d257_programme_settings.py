"""the programme office's settings for its statistics (the saving per clinic visit)

Revision ID: c4e6a8b0d257
Revises: b3d5f7a9c146
Create Date: 2026-12-03 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e6a8b0d257'
down_revision = 'b3d5f7a9c146'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'programme_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('saving_per_visit', sa.Integer(), nullable=False),
        sa.Column('updated_dt', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('id = 1', name=op.f('ck_programme_settings_single_row')),
        sa.CheckConstraint('saving_per_visit >= 0',
                           name=op.f('ck_programme_settings_saving_not_negative')),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'],
                                name=op.f('fk_programme_settings_updated_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_settings')),
    )


def downgrade():
    op.drop_table('programme_settings')
