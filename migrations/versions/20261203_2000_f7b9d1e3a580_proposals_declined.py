"""a coordinator may decline an expert's proposal, with a reply the expert reads

Revision ID: f7b9d1e3a580
Revises: e6a8c0d2f479
Create Date: 2026-12-03 20:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f7b9d1e3a580'
down_revision = 'e6a8c0d2f479'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answer', sa.String(length=200), nullable=False,
                                      server_default=''))
        batch_op.drop_constraint(batch_op.f('ck_proposals_proposal_status'), type_='check')
        batch_op.create_check_constraint(
            'proposal_status', "status IN ('open', 'planned', 'withdrawn', 'declined')")


def downgrade():
    op.execute("UPDATE proposals SET status = 'withdrawn' WHERE status = 'declined'")
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_proposals_proposal_status'), type_='check')
        batch_op.create_check_constraint(
            'proposal_status', "status IN ('open', 'planned', 'withdrawn')")
        batch_op.drop_column('answer')
