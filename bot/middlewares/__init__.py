"""The update pipeline, outer to inner: errors → throttling → concurrency limit → (aiogram's
per-chat lock and conversation state) → db session → user → locale."""

from bot.middlewares.db import DbSessionMiddleware
from bot.middlewares.errors import ErrorBoundaryMiddleware
from bot.middlewares.limit import ConcurrencyLimit
from bot.middlewares.locale import LocaleMiddleware
from bot.middlewares.throttling import ThrottlingMiddleware
from bot.middlewares.user import UserMiddleware

__all__ = [
    "ConcurrencyLimit",
    "DbSessionMiddleware",
    "ErrorBoundaryMiddleware",
    "LocaleMiddleware",
    "ThrottlingMiddleware",
    "UserMiddleware",
]
