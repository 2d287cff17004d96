"""reminders: a person's reminder settings, a location's reminder hour and check-in, check-ins

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("remind_desks", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        # Quiet hours as minutes after midnight, in the zone of what a reminder is about;
        # both empty: none.
        batch.add_column(sa.Column("quiet_from", sa.SmallInteger(), server_default="1320"))
        batch.add_column(sa.Column("quiet_until", sa.SmallInteger(), server_default="480"))
    with op.batch_alter_table("locations") as batch:
        batch.add_column(
            sa.Column("reminder_time", sa.String(length=5), nullable=False, server_default="18:00")
        )
        batch.add_column(sa.Column("check_in_morning", sa.String(length=5), nullable=True))
        batch.add_column(sa.Column("check_in_afternoon", sa.String(length=5), nullable=True))
    with op.batch_alter_table("desk_bookings") as batch:
        batch.add_column(sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_outbox_kind_ref", "outbox", ["kind", "ref"])  # a booking's reminders


def downgrade() -> None:
    op.drop_index("ix_outbox_kind_ref", table_name="outbox")
    with op.batch_alter_table("desk_bookings") as batch:
        batch.drop_column("checked_in_at")
    with op.batch_alter_table("locations") as batch:
        batch.drop_column("check_in_afternoon")
        batch.drop_column("check_in_morning")
        batch.drop_column("reminder_time")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("quiet_until")
        batch.drop_column("quiet_from")
        batch.drop_column("remind_desks")
