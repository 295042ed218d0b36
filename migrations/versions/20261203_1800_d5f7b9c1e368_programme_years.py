"""earlier years' programme-wide totals, for the cumulative figures

Revision ID: d5f7b9c1e368
Revises: c4e6a8b0d257
Create Date: 2026-12-03 18:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5f7b9c1e368'
down_revision = 'c4e6a8b0d257'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'programme_years',
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('clinic_sessions', sa.Integer(), nullable=False),
        sa.Column('clinic_visits', sa.Integer(), nullable=False),
        sa.Column('surgeries', sa.Integer(), nullable=False),
        sa.Column('lectures_forums', sa.Integer(), nullable=False),
        sa.Column('attendance', sa.Integer(), nullable=False),
        sa.Column('savings', sa.Integer(), nullable=False),
        sa.Column('updated_dt', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('year BETWEEN 2000 AND 2100', name=op.f('ck_programme_years_year_sane')),
        sa.CheckConstraint('clinic_sessions >= 0 AND clinic_visits >= 0 AND surgeries >= 0 '
                           'AND lectures_forums >= 0 AND attendance >= 0 AND savings >= 0',
                           name=op.f('ck_programme_years_not_negative')),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'],
                                name=op.f('fk_programme_years_updated_by_id_users')),
        sa.PrimaryKeyConstraint('year', name=op.f('pk_programme_years')),
    )


def downgrade():
    op.drop_table('programme_years')
