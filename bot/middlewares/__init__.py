"""The update pipeline, outer to inner: observe (update id, latency) → errors → throttling →
concurrency limit → (aiogram's per-chat lock and conversation state) → db session → user →
locale; inside, the handler's name for the metrics (`observe.NameHandler`)."""

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
