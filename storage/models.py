"""Every table, imported in one place for migrations and tests."""

from storage.base import Base
from storage.faq_log import FaqQuestion
from storage.fsm import FSMRecord
from storage.users import User

__all__ = ["Base", "FSMRecord", "FaqQuestion", "User"]
