"""Log lines as text (the default) or one JSON object each (`LOG_FORMAT=json`), and the
Telegram update each line was written for.

The update being handled is a ContextVar set by the outermost middleware
(`bot.middlewares.observe`): each update runs in a task of its own, so the value follows the
update through every await and never leaks into another's lines. A filter on the handler copies
it into each record as `update_id`, which the JSON lines carry as a field and the text lines
after the logger's name.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from pythonjsonlogger.json import JsonFormatter

TEXT_LINE = "%(asctime)s %(levelname)s %(name)s%(update)s: %(message)s"


@dataclass(slots=True)
class UpdateScope:
    """The update being handled: its id for the logs, and the handler that took it for the
    metrics (set by the inner middleware, read when the update ends)."""

    update_id: int
    handler: str | None = None


_current: ContextVar[UpdateScope | None] = ContextVar("current_update", default=None)


def current_update() -> UpdateScope | None:
    return _current.get()


@contextmanager
def handling(update_id: int) -> Iterator[UpdateScope]:
    """The scope of one update, for the code (and the log lines) that run inside it."""
    scope = UpdateScope(update_id)
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)


class UpdateIdFilter(logging.Filter):
    """Adds `update_id` to records written while an update is handled (no field otherwise)."""

    def filter(self, record: logging.LogRecord) -> bool:
        scope = _current.get()
        if scope is not None and not hasattr(record, "update_id"):
            record.update_id = scope.update_id
        return True


class TextFormatter(logging.Formatter):
    """`time LEVEL logger update=N: message`, the update part only inside an update."""

    def __init__(self) -> None:
        super().__init__(TEXT_LINE)

    def formatMessage(self, record: logging.LogRecord) -> str:
        update_id = getattr(record, "update_id", None)
        update = f" update={update_id}" if update_id is not None else ""
        return TEXT_LINE % {**record.__dict__, "update": update}


class JsonLines(JsonFormatter):
    """`time` (ISO 8601, UTC), `level`, `logger`, `message`, then `update_id`, any `extra`
    fields and the traceback (`exc_info`) when there are."""

    def __init__(self) -> None:
        super().__init__(
            ["levelname", "name", "message"],
            rename_fields={"levelname": "level", "name": "logger"},
            json_ensure_ascii=False,
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        moment = datetime.fromtimestamp(record.created, UTC)
        log_data["time"] = moment.isoformat(timespec="milliseconds")
        super().add_fields(log_data, record, message_dict)


def log_handler(
    log_format: Literal["text", "json"], stream: TextIO | None = None
) -> logging.Handler:
    """A handler writing to `stream` (stderr) in `log_format`, each line with its update."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(UpdateIdFilter())
    handler.setFormatter(JsonLines() if log_format == "json" else TextFormatter())
    return handler


def configure_logging(level: int | str, log_format: Literal["text", "json"] = "text") -> None:
    """The root logger writes to stderr in `log_format` (as `basicConfig` does: left alone if
    it already has handlers)."""
    logging.basicConfig(level=level, handlers=[log_handler(log_format)])
    # Libraries that narrate their start-up at INFO ("Loading dictionaries…") say only what
    # goes wrong.
    for chatty in QUIET_LIBRARIES:
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLogger().level))


QUIET_LIBRARIES = ("pymorphy3",)
