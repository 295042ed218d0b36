"""only clinic bookings count toward a person's limit: recount persons.active_count

Lecture, forum and teaching seats stopped counting toward the three active bookings
(issue #16). Cancelling such a seat no longer gives a place back, so the seats counted
before this change are taken out of each person's count here, once.

Revision ID: 5e8a1c3b7f20
Revises: 7d3f2a8c6e15
Create Date: 2026-12-02 19:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5e8a1c3b7f20'
down_revision = '7d3f2a8c6e15'
branch_labels = None
depends_on = None

COUNT = """
UPDATE persons SET active_count = (
    SELECT COUNT(*) FROM bookings JOIN sessions ON sessions.id = bookings.session_id
    WHERE bookings.person_key = persons.key
      AND bookings.status IN ('confirmed', 'checked_in')
      AND sessions.kind IN ({kinds})
)
"""


def upgrade():
    op.execute(COUNT.format(kinds="'clinic'"))


def downgrade():
    op.execute(COUNT.format(kinds="'clinic', 'lecture', 'forum', 'teaching'"))
