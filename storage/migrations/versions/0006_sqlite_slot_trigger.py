"""SQLite: a live booking claims its desk's half-days in the same statement that writes it

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# The trigger's INSERT fails (and with it the booking's) when a half-day is held already, so
# a booking is one statement on SQLite's booking path (see storage.desks.bookings.claim).
# PostgreSQL's path writes the slots itself.
TRIGGER = """
CREATE TRIGGER desk_bookings_claim_slots AFTER INSERT ON desk_bookings
WHEN NEW.status IN ('held', 'active')
BEGIN
    INSERT INTO desk_slots (desk_id, day, half, user_id, location_id, booking_id)
    SELECT NEW.desk_id, NEW.day, halves.half, NEW.user_id, NEW.location_id, NEW.id
    FROM (SELECT 'am' AS half UNION ALL SELECT 'pm') AS halves
    WHERE NEW.period = 'f' OR NEW.period = halves.half;
END
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER desk_bookings_claim_slots")
