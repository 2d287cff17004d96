"""coaching: coaches, their availability and invites, sessions and the time cells they hold

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("remind_coaching", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("locations") as batch:  # the coaching limits of a location
        batch.add_column(
            sa.Column("coach_sessions_per_coach", sa.Integer(), nullable=False, server_default="2")
        )
        batch.add_column(
            sa.Column("coach_sessions_total", sa.Integer(), nullable=False, server_default="3")
        )
    op.create_table(
        "coaches",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=16), nullable=True),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("bio", sa.Text(), nullable=False),
        sa.Column("expertise", sa.String(length=200), nullable=False),
        sa.Column("languages", sa.String(length=16), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("meeting_link", sa.String(length=256), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("session_minutes", sa.SmallInteger(), nullable=False),
        sa.Column("buffer_minutes", sa.SmallInteger(), nullable=False),
        sa.Column("notice_hours", sa.SmallInteger(), nullable=False),
        sa.Column("horizon_days", sa.SmallInteger(), nullable=False),
        sa.Column("max_per_day", sa.SmallInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("retired_at", UTC_DATETIME, nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"],
            name=op.f("fk_coaches_location_id_locations"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_coaches_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_coaches")),
        sa.UniqueConstraint("key", name=op.f("uq_coaches_key")),
    )  # fmt: skip
    op.create_table(
        "coach_windows",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("coach_id", sa.BigInteger(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=True),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("start_minute", sa.SmallInteger(), nullable=False),
        sa.Column("end_minute", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["coach_id"], ["coaches.user_id"],
            name=op.f("fk_coach_windows_coach_id_coaches"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coach_windows")),
    )  # fmt: skip
    op.create_index("ix_coach_windows_coach_id", "coach_windows", ["coach_id"])
    op.create_table(
        "coach_blocked_days",
        sa.Column("coach_id", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["coach_id"], ["coaches.user_id"],
            name=op.f("fk_coach_blocked_days_coach_id_coaches"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("coach_id", "day", name=op.f("pk_coach_blocked_days")),
    )  # fmt: skip
    op.create_table(
        "coach_invites",
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.Column("used_by", sa.BigInteger(), nullable=True),
        sa.Column("used_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_coach_invites")),
    )
    op.create_table(
        "coaching_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("coach_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("starts_at", UTC_DATETIME, nullable=False),
        sa.Column("ends_at", UTC_DATETIME, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("held_from", sa.Integer(), nullable=False),
        sa.Column("held_to", sa.Integer(), nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("ended_by", sa.String(length=10), nullable=True),
        sa.Column("move_starts_at", UTC_DATETIME, nullable=True),
        sa.Column("move_expires_at", UTC_DATETIME, nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("coach_note", sa.Text(), nullable=True),
        sa.Column("no_show", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["coach_id"], ["coaches.user_id"],
            name=op.f("fk_coaching_sessions_coach_id_coaches"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"],
            name=op.f("fk_coaching_sessions_user_id_users"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coaching_sessions")),
    )  # fmt: skip
    op.create_index(
        "ix_coaching_sessions_coach_status_starts",
        "coaching_sessions",
        ["coach_id", "status", "starts_at"],
    )
    op.create_index(
        "ix_coaching_sessions_user_status_ends", "coaching_sessions", ["user_id", "status", "ends_at"]
    )
    op.create_index(
        "ix_coaching_sessions_status_expires", "coaching_sessions", ["status", "expires_at"]
    )
    op.create_table(
        "coach_cells",
        sa.Column("coach_id", sa.BigInteger(), nullable=False),
        sa.Column("cell", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("buffer", sa.Boolean(), nullable=False),
        sa.Column("move", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"], ["coaching_sessions.id"],
            name=op.f("fk_coach_cells_session_id_coaching_sessions"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("coach_id", "cell", name=op.f("pk_coach_cells")),
    )  # fmt: skip
    op.create_index("ix_coach_cells_session_id", "coach_cells", ["session_id"])
    # A person's own time is theirs once: no two sessions of one person overlap (buffers are
    # the coach's, not the person's).
    op.create_index(
        "uq_coach_cells_user_id_cell",
        "coach_cells",
        ["user_id", "cell"],
        unique=True,
        sqlite_where=sa.text("buffer = 0"),
        postgresql_where=sa.text("NOT buffer"),
    )


def downgrade() -> None:
    op.drop_table("coach_cells")
    op.drop_table("coaching_sessions")
    op.drop_table("coach_invites")
    op.drop_table("coach_blocked_days")
    op.drop_table("coach_windows")
    op.drop_table("coaches")
    with op.batch_alter_table("locations") as batch:
        batch.drop_column("coach_sessions_total")
        batch.drop_column("coach_sessions_per_coach")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("remind_coaching")
