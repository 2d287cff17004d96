"""Coaching as tables: coaches and their availability, invites, sessions, and the time cells a
live session holds; the statuses and the reasons a step can be refused.

No double booking is the database's job: a live session (pending, proposed or confirmed)
holds one `coach_cells` row per five minutes its time and the coach's buffer after it cover.
The cells are unique by coach × cell (no two sessions of one coach overlap, whatever their
lengths and buffers) and, for the session's own time, by person × cell (nobody is in two
sessions at once). A session claims all its cells in one INSERT ... ON CONFLICT DO NOTHING;
one cell short and the claim is undone, so of many people requesting one slot exactly one
holds it, on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, CleanString, CleanText, UTCDateTime, utcnow

CELL_SECONDS = 300  # five minutes: every session length, buffer and window is a multiple


class Status(StrEnum):
    PENDING = "pending"  # requested, waiting for the coach (the slot is held)
    PROPOSED = "proposed"  # the coach proposed another time, waiting for the entrepreneur
    CONFIRMED = "confirmed"
    DECLINED = "declined"  # by the coach, or a proposal the entrepreneur turned down
    EXPIRED = "expired"  # nobody answered in time
    CANCELLED = "cancelled"  # by either side, after it was confirmed or while it waited


LIVE = (Status.PENDING, Status.PROPOSED, Status.CONFIRMED)  # the statuses that hold cells
WAITING = (Status.PENDING, Status.PROPOSED)  # an answer is awaited


class Reason(StrEnum):
    """Why a step was refused (each has its own message)."""

    NOT_COACH = "not_coach"  # the presser is not (or no longer) a coach
    NOT_OWNER = "not_owner"  # another coach's request, or another person's session
    RETIRED = "retired"  # the coach no longer takes sessions
    NOT_FOUND = "not_found"  # no such session
    ANSWERED = "answered"  # the request was answered, withdrawn or expired meanwhile
    TAKEN = "taken"  # the slot was taken meanwhile
    NO_SLOT = "no_slot"  # not one of the coach's free slots (or no longer)
    LIMIT_COACH = "limit_coach"  # too many upcoming sessions with this coach
    LIMIT_TOTAL = "limit_total"  # too many upcoming sessions in all
    BUSY = "busy"  # the person has another session at that time
    TOO_LATE = "too_late"  # cancelling after the cut-off, or after the start
    SELF = "self"  # a coach requesting a session with themselves
    MOVING = "moving"  # a change of time already waits for an answer
    INVITE_USED = "invite_used"
    INVITE_EXPIRED = "invite_expired"
    INVITE_UNKNOWN = "invite_unknown"


class Refused(Exception):
    def __init__(self, reason: Reason, *, limit: int = 0) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.limit = limit


class Coach(Base):
    __tablename__ = "coaches"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str | None] = mapped_column(String(16), unique=True)  # a seeded coach's
    name: Mapped[str] = mapped_column(CleanString(64))
    bio: Mapped[str] = mapped_column(CleanText, default="")
    expertise: Mapped[str] = mapped_column(String(200), default="")  # comma-separated keys
    languages: Mapped[str] = mapped_column(String(16), default="")  # comma-separated
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"))
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    meeting_link: Mapped[str | None] = mapped_column(String(256))
    timezone: Mapped[str] = mapped_column(String(64))
    country: Mapped[str] = mapped_column(String(2))  # whose public holidays are off
    session_minutes: Mapped[int] = mapped_column(SmallInteger, default=60)
    buffer_minutes: Mapped[int] = mapped_column(SmallInteger, default=0)
    notice_hours: Mapped[int] = mapped_column(SmallInteger, default=12)
    horizon_days: Mapped[int] = mapped_column(SmallInteger, default=21)
    max_per_day: Mapped[int] = mapped_column(SmallInteger, default=4)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CoachWindow(Base):
    """When a coach takes sessions: every `weekday` (0 Monday), or once on `day`; minutes after
    local midnight in the coach's zone."""

    __tablename__ = "coach_windows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    coach_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("coaches.user_id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int | None] = mapped_column(SmallInteger)
    day: Mapped[date | None] = mapped_column(Date)
    start_minute: Mapped[int] = mapped_column(SmallInteger)
    end_minute: Mapped[int] = mapped_column(SmallInteger)


class CoachBlockedDay(Base):
    """A day off (vacation): no slots, whatever the windows say."""

    __tablename__ = "coach_blocked_days"

    coach_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("coaches.user_id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)


class CoachInvite(Base):
    """A one-time link that makes whoever opens it a coach (`/start coach_<token>`)."""

    __tablename__ = "coach_invites"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_by: Mapped[int | None] = mapped_column(BigInteger)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CoachingSession(Base):
    __tablename__ = "coaching_sessions"
    __table_args__ = (
        Index("ix_coaching_sessions_coach_status_starts", "coach_id", "status", "starts_at"),
        Index("ix_coaching_sessions_user_status_ends", "user_id", "status", "ends_at"),
        Index("ix_coaching_sessions_status_expires", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    coach_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("coaches.user_id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10))
    topic: Mapped[str] = mapped_column(CleanText)
    mode: Mapped[str] = mapped_column(String(10))  # online, in_person
    # The cells its time and buffer hold, from and to (exclusive): what `coach_cells` holds
    # for it, kept here too so that reading a coach's busy time is one row per session.
    held_from: Mapped[int] = mapped_column(Integer)
    held_to: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # while waiting
    reason: Mapped[str | None] = mapped_column(CleanText)  # a decline's or cancellation's
    ended_by: Mapped[str | None] = mapped_column(String(10))  # coach, user, system
    # A change of time waiting for the other side (the session keeps its time until then).
    move_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    move_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sequence: Mapped[int] = mapped_column(Integer, default=0)  # the .ics SEQUENCE
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # After the session: the entrepreneur's rating (1–5) and comment, the coach's private note
    # (never shown to anyone else) and whether the entrepreneur did not come.
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(CleanText)
    coach_note: Mapped[str | None] = mapped_column(CleanText)
    no_show: Mapped[bool] = mapped_column(Boolean, default=False)


class CoachCell(Base):
    """Five minutes of a coach's time held by a live session: the rows that make double
    booking fail. `buffer`: the coach's pause after a session (held for the coach only);
    `move`: held for a change of time that waits for an answer."""

    __tablename__ = "coach_cells"
    __table_args__ = (
        Index(
            "uq_coach_cells_user_id_cell",
            "user_id",
            "cell",
            unique=True,
            sqlite_where=text("buffer = 0"),
            postgresql_where=text("NOT buffer"),
        ),
    )

    coach_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    cell: Mapped[int] = mapped_column(Integer, primary_key=True)  # UTC epoch seconds // 300
    user_id: Mapped[int] = mapped_column(BigInteger)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("coaching_sessions.id", ondelete="CASCADE"), index=True
    )
    buffer: Mapped[bool] = mapped_column(Boolean, default=False)
    move: Mapped[bool] = mapped_column(Boolean, default=False)
