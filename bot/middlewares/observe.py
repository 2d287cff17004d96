"""Watching every update: its id for the log lines, its latency and the handler that took it
for /metrics.

The outer middleware on the update observer runs first of all (before the error boundary), so
even the line that logs a failure carries the update's id, and the time measured includes the
wait for a slot, the chat lock and the commit. Only an inner middleware knows which handler
was chosen (aiogram puts its `HandlerObject` into `data["handler"]` just before calling it);
it writes the name into the update's scope, and an update no handler took stays "unhandled".
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Dispatcher
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.types import TelegramObject, Update

from bot.logs import current_update, handling
from bot.metrics import UNHANDLED, Metrics

Next = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class ObserveUpdates(BaseMiddleware):
    """Outer, on `update`: the update's scope (id, handler) and its duration."""

    def __init__(self, metrics: Metrics, clock: Callable[[], float] = time.perf_counter) -> None:
        self.metrics = metrics
        self.clock = clock

    async def __call__(self, handler: Next, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        began = self.clock()
        with handling(event.update_id) as scope:
            try:
                return await handler(event, data)
            finally:
                self.metrics.handled(scope.handler or UNHANDLED, self.clock() - began)


class NameHandler(BaseMiddleware):
    """Inner, on every event observer: which handler the update reached."""

    async def __call__(self, handler: Next, event: TelegramObject, data: dict[str, Any]) -> Any:
        scope = current_update()
        chosen = data.get("handler")
        if scope is None or not isinstance(chosen, HandlerObject):
            return await handler(event, data)
        scope.handler = handler_name(chosen)
        try:
            return await handler(event, data)
        except SkipHandler:  # the next matching handler, if any, takes it instead
            scope.handler = None
            raise


def handler_name(handler: HandlerObject) -> str:
    """`module.function` of the handler's callback, e.g. `handlers.desks.flow.confirm`."""
    callback = inspect.unwrap(handler.callback)
    module = getattr(callback, "__module__", None) or "?"
    name = getattr(callback, "__qualname__", None) or type(callback).__qualname__
    return f"{module}.{name}"


def observe(dispatcher: Dispatcher, metrics: Metrics) -> None:
    """Register both: the outer one on updates (call this before any other outer middleware,
    so it is the outermost), the inner one on every kind of event a handler takes."""
    dispatcher.update.outer_middleware(ObserveUpdates(metrics))
    for name, observer in dispatcher.observers.items():
        if name not in ("update", "error"):
            observer.middleware(NameHandler())
