"""Events and courses as tables: an event, its parts (a course has several, a single event
one), and the registrations, seated or in line.

Capacity is the database's job: an event counts its seats taken in `taken`, a CHECK keeps
it within `capacity`, and a seat is only ever taken by a conditional UPDATE (`taken <
capacity`), so of fifty people pressing Register for the last seat exactly one gets it, on
SQLite and PostgreSQL alike. One row per person and event (UNIQUE): a double tap cannot
register anyone twice.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, CleanString, UTCDateTime, utcnow


class Kind(StrEnum):
    WORKSHOP = "workshop"
    TRAINING = "training"
    PITCHING = "pitching"
    NETWORKING = "networking"
    COURSE = "course"


class EventStatus(StrEnum):
    DRAFT = "draft"  # written by staff in the chat, not published yet: only staff see it
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Seat(StrEnum):
    REGISTERED = "registered"
    WAITING = "waiting"
    LEFT = "left"  # unregistered, or left the line
    REMOVED = "removed"  # by staff
    SKIPPED = "skipped"  # was first in line but could no longer take a seat (blocked, gone)
    CANCELLED = "cancelled"  # the event was cancelled


HOLDING = (Seat.REGISTERED, Seat.WAITING)


class Reason(StrEnum):
    NOT_FOUND = "not_found"
    CANCELLED = "cancelled"
    NOT_OPEN = "not_open"  # registration has not opened yet
    CLOSED = "closed"  # registration has closed (the waitlist too)
    STARTED = "started"
    ALREADY = "already"
    NOT_REGISTERED = "not_registered"
    BELOW_TAKEN = "below_taken"  # a capacity lower than the seats already taken
    PUBLISHED = "published"  # a draft published already


class Refused(Exception):
    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.value)
        self.reason = reason


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("taken >= 0 AND taken <= capacity", name="seats"),
        Index("ix_events_status_ends_at", "status", "ends_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str | None] = mapped_column(String(32), unique=True)  # from the seed file
    kind: Mapped[str] = mapped_column(String(16))
    titles: Mapped[dict[str, str]] = mapped_column(JSON)  # language -> text
    descriptions: Mapped[dict[str, str]] = mapped_column(JSON)
    language: Mapped[str] = mapped_column(String(2))  # the language the event is held in
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"))
    room: Mapped[str | None] = mapped_column(CleanString(64))
    link: Mapped[str | None] = mapped_column(String(256))  # online: for registrants only
    timezone: Mapped[str] = mapped_column(String(64))
    capacity: Mapped[int] = mapped_column(Integer)
    taken: Mapped[int] = mapped_column(Integer, default=0)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)  # registration
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)  # of the first part
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)  # of the last part
    status: Mapped[str] = mapped_column(String(10), default=EventStatus.SCHEDULED)
    version: Mapped[int] = mapped_column(SmallInteger, default=0)  # .ics SEQUENCE
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EventPart(Base):
    __tablename__ = "event_parts"
    __table_args__ = (UniqueConstraint("event_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(SmallInteger)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Registration(Base):
    __tablename__ = "event_registrations"
    __table_args__ = (
        UniqueConstraint("event_id", "user_id"),
        Index("ix_event_registrations_event_status", "event_id", "status", "queued_at"),
        Index("ix_event_registrations_user_status", "user_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10))
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the place in line
    attended: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
