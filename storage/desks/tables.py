"""Desk bookings as tables: a booking, the half-day slots it holds, its statuses, and the
reasons a booking can be refused.

No double booking is the database's job: a live booking holds one `desk_slots` row per
half-day it covers, and the slots are unique by desk × day × half (no two people on one desk)
and by person × day × half (one desk per person at a time).
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
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UTCDateTime, utcnow
from storage.desks.opening import Closure


class Status(StrEnum):
    HELD = "held"  # offered to someone from the waitlist, until `hold_expires_at`
    ACTIVE = "active"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # an offer nobody took in time
    DECLINED = "declined"  # an offer turned down


LIVE = (Status.HELD, Status.ACTIVE)  # the statuses that hold desk slots


class Reason(StrEnum):
    """Why a booking, a cancellation or an offer was refused (each has its own message)."""

    CLOSED = "closed"
    PAST = "past"  # a day before today
    HORIZON = "horizon"  # beyond the booking horizon
    STARTED = "started"  # the period has already started
    QUOTA = "quota"  # too many upcoming bookings
    TWICE = "twice"  # the person already has a desk at that time
    TAKEN = "taken"  # the desk (or every desk) was taken
    NO_DESK = "no_desk"  # a desk or zone that is not (or no longer) bookable
    NOT_FOUND = "not_found"  # not the person's booking, or no longer active
    TOO_LATE = "too_late"  # cancelling a booking that has started
    OFFER_GONE = "offer_gone"  # an offer that expired or was answered
    NOT_FULL = "not_full"  # joining the waitlist while desks are free
    WAITING = "waiting"  # already on the waitlist for that
    EARLY = "early"  # checking in more than an hour before the booking starts
    NO_CHECK_IN = "no_check_in"  # checking in where the location does not ask for it


class Refused(Exception):
    def __init__(
        self,
        reason: Reason,
        *,
        closure: Closure | None = None,
        limit: int = 0,
        booking: DeskBooking | None = None,
    ) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.closure = closure
        self.limit = limit
        self.booking = booking


class DeskBooking(Base):
    __tablename__ = "desk_bookings"
    __table_args__ = (
        Index("ix_desk_bookings_user_status_ends", "user_id", "status", "ends_at"),
        Index("ix_desk_bookings_location_day", "location_id", "day"),
        Index("ix_desk_bookings_status_hold", "status", "hold_expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    desk_id: Mapped[int] = mapped_column(ForeignKey("desks.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    period: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(10))
    # What reminders need: when it starts and ends (UTC; the location gives the zone).
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # "I'm here"
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sequence: Mapped[int] = mapped_column(Integer, default=0)  # the .ics SEQUENCE
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancel_reason: Mapped[str | None] = mapped_column(String(16))


class DeskSlot(Base):
    """A half-day of a desk held by a live booking: the rows that make double booking fail."""

    __tablename__ = "desk_slots"
    __table_args__ = (
        UniqueConstraint("user_id", "day", "half"),
        Index("ix_desk_slots_location_day", "location_id", "day"),
    )

    desk_id: Mapped[int] = mapped_column(
        ForeignKey("desks.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    half: Mapped[str] = mapped_column(String(2), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    location_id: Mapped[int] = mapped_column(Integer)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("desk_bookings.id", ondelete="CASCADE"), index=True
    )


class DeskDay(Base):
    """A day of a location that bookings were made for or that the staff closed: the one row
    that a booking (or an accepted offer) and a closure of that day both write.

    A booking writes it only while `closed` is false and a closure sets `closed`, so on
    PostgreSQL the second of the two waits for the first to commit and then sees it (the
    booking is refused, or the closure cancels it); on SQLite writers are serial anyway.
    """

    __tablename__ = "desk_days"

    location_id: Mapped[int] = mapped_column(
        ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
