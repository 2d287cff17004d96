"""Every table, imported in one place for migrations and tests."""

from storage.audit import AuditEntry
from storage.base import Base
from storage.broadcasts.tables import Broadcast
from storage.coaching.tables import (
    Coach,
    CoachBlockedDay,
    CoachCell,
    CoachingSession,
    CoachInvite,
    CoachWindow,
)
from storage.desks.places import ClosedDay, DeskRow, Location, ZoneRow
from storage.desks.tables import DeskBooking, DeskDay, DeskSlot
from storage.desks.waitlist import WaitlistEntry
from storage.events.tables import Event, EventPart, Registration
from storage.faq_log import FaqQuestion
from storage.fsm import FSMRecord
from storage.outbox import OutboxMessage
from storage.teaching import LearnedPhrasing
from storage.users import User

__all__ = [
    "AuditEntry",
    "Base",
    "Broadcast",
    "ClosedDay",
    "Coach",
    "CoachBlockedDay",
    "CoachCell",
    "CoachInvite",
    "CoachWindow",
    "CoachingSession",
    "DeskBooking",
    "DeskDay",
    "DeskRow",
    "DeskSlot",
    "Event",
    "EventPart",
    "FSMRecord",
    "FaqQuestion",
    "LearnedPhrasing",
    "Location",
    "OutboxMessage",
    "Registration",
    "User",
    "WaitlistEntry",
    "ZoneRow",
]
