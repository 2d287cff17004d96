"""Every table, imported in one place for migrations and tests."""

from storage.base import Base
from storage.desk_tables import DeskBooking, DeskSlot
from storage.faq_log import FaqQuestion
from storage.fsm import FSMRecord
from storage.places import ClosedDay, DeskRow, Location, ZoneRow
from storage.users import User
from storage.waitlist import WaitlistEntry

__all__ = [
    "Base",
    "ClosedDay",
    "DeskBooking",
    "DeskRow",
    "DeskSlot",
    "FSMRecord",
    "FaqQuestion",
    "Location",
    "User",
    "WaitlistEntry",
    "ZoneRow",
]
