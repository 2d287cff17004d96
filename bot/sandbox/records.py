"""Small records of what happened: calls, errors, callback answers, pending updates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PendingUpdate:
    """An update waiting for the bot."""

    update_id: int
    payload: dict[str, Any]


@dataclass(frozen=True)
class CallbackAnswer:
    """What the bot answered to a callback query."""

    callback_id: str
    text: str | None
    show_alert: bool
    url: str | None = None


@dataclass
class CallbackRecord:
    """A callback query sent by a user."""

    id: str
    user_id: int
    message_id: int
    data: str
    answer: CallbackAnswer | None = None


@dataclass(frozen=True)
class Call:
    """One Bot API request as the server received it."""

    method: str
    params: dict[str, Any]
    time: float
    source: str = "http"


@dataclass(frozen=True)
class ErrorRecord:
    """A non-ok answer the server gave."""

    method: str
    params: dict[str, Any]
    error_code: int
    description: str
    time: float


@dataclass
class WebhookConfig:
    """The webhook set by the bot."""

    url: str
    secret_token: str | None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None
