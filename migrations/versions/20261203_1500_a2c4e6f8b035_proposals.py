"""experts propose availability; coordinators turn a proposal into a session or series

Revision ID: a2c4e6f8b035
Revises: f1b5d7e9a364
Create Date: 2026-12-03 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a2c4e6f8b035'
down_revision = 'f1b5d7e9a364'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'proposals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('expert_id', sa.Integer(), nullable=False),
        sa.Column('proposed_by_id', sa.Integer(), nullable=False),
        sa.Column('first_day', sa.Date(), nullable=False),
        sa.Column('last_day', sa.Date(), nullable=False),
        sa.Column('weekdays', sa.JSON(), nullable=False),
        sa.Column('half', sa.Enum('morning', 'afternoon', name='half_day', native_enum=False,
                                  create_constraint=True, length=9), nullable=False),
        sa.Column('township_ids', sa.JSON(), nullable=False),
        sa.Column('note', sa.String(length=300), nullable=False),
        sa.Column('status', sa.Enum('open', 'planned', 'withdrawn', name='proposal_status',
                                    native_enum=False, create_constraint=True, length=9),
                  nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=True),
        sa.Column('series_id', sa.Integer(), nullable=True),
        sa.Column('planned_by_id', sa.Integer(), nullable=True),
        sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_dt', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('last_day >= first_day', name=op.f('ck_proposals_days_in_order')),
        sa.ForeignKeyConstraint(['expert_id'], ['experts.id'],
                                name=op.f('fk_proposals_expert_id_experts'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['planned_by_id'], ['users.id'],
                                name=op.f('fk_proposals_planned_by_id_users')),
        sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'],
                                name=op.f('fk_proposals_proposed_by_id_users')),
        sa.ForeignKeyConstraint(['series_id'], ['session_series.id'],
                                name=op.f('fk_proposals_series_id_session_series'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['session_id'], ['sessions.id'],
                                name=op.f('fk_proposals_session_id_sessions'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals')),
    )
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposals_expert_id'), ['expert_id'], unique=False)
        batch_op.create_index('ix_proposals_status_first_day', ['status', 'first_day'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_index('ix_proposals_status_first_day')
        batch_op.drop_index(batch_op.f('ix_proposals_expert_id'))
    op.drop_table('proposals')
