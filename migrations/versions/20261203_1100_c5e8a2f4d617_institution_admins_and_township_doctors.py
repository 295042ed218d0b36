"""institution admins and township doctors: two roles and what each is attached to

Revision ID: c5e8a2f4d617
Revises: b8d4f6a2c310
Create Date: 2026-12-03 11:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5e8a2f4d617'
down_revision = 'b8d4f6a2c310'
branch_labels = None
depends_on = None

OLD_ROLES = ('resident', 'expert', 'assistant', 'coordinator', 'admin')
NEW_ROLES = OLD_ROLES + ('institution_admin', 'township_doctor')


def _role(values):
    # Stored as VARCHAR + CHECK (app.core.enums): the column grows to the longest value
    # and the CHECK lists the new ones.
    return sa.Enum(*values, name='role', native_enum=False, create_constraint=True,
                   length=max(map(len, values)))


def upgrade():
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.alter_column('role', existing_type=_role(OLD_ROLES), type_=_role(NEW_ROLES),
                              existing_nullable=False)
    op.create_table(
        'institution_admins',
        sa.Column('institution_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                                name=op.f('fk_institution_admins_institution_id_institutions'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_institution_admins_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('institution_id', 'user_id', name=op.f('pk_institution_admins')),
    )
    with op.batch_alter_table('institution_admins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_institution_admins_user_id'), ['user_id'],
                              unique=False)
    op.create_table(
        'township_doctors',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('venue_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_township_doctors_user_id_users'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['venue_id'], ['venues.id'],
                                name=op.f('fk_township_doctors_venue_id_venues')),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_township_doctors')),
    )
    with op.batch_alter_table('township_doctors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_township_doctors_venue_id'), ['venue_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('township_doctors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_township_doctors_venue_id'))
    op.drop_table('township_doctors')
    with op.batch_alter_table('institution_admins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_institution_admins_user_id'))
    op.drop_table('institution_admins')
    op.execute(sa.text("DELETE FROM user_roles WHERE role IN "
                       "('institution_admin', 'township_doctor')"))
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.alter_column('role', existing_type=_role(NEW_ROLES), type_=_role(OLD_ROLES),
                              existing_nullable=False)
