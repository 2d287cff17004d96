"""The update pipeline, outer to inner: errors → throttling → db session → user → locale."""

from bot.middlewares.db import DbSessionMiddleware
from bot.middlewares.errors import ErrorBoundaryMiddleware
from bot.middlewares.locale import LocaleMiddleware
from bot.middlewares.throttling import ThrottlingMiddleware
from bot.middlewares.user import UserMiddleware

__all__ = [
    "DbSessionMiddleware",
    "ErrorBoundaryMiddleware",
    "LocaleMiddleware",
    "ThrottlingMiddleware",
    "UserMiddleware",
]
