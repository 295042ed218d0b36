"""outcomes recorded on held sessions: operations, ward-round patients, head counts

Revision ID: b3d5f7a9c146
Revises: a2c4e6f8b035
Create Date: 2026-12-03 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3d5f7a9c146'
down_revision = 'a2c4e6f8b035'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'session_outcomes',
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('recorded_dt', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_dt', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('count BETWEEN 0 AND 100000', name=op.f('ck_session_outcomes_count_sane')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'],
                                name=op.f('fk_session_outcomes_recorded_by_id_users')),
        sa.ForeignKeyConstraint(['session_id'], ['sessions.id'],
                                name=op.f('fk_session_outcomes_session_id_sessions'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('session_id', name=op.f('pk_session_outcomes')),
    )


def downgrade():
    op.drop_table('session_outcomes')
