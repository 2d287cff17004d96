"""Read-only snapshots of chat messages for tests and transcripts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from bot.sandbox.state import SandboxState, StoredMessage, image_size
from bot.sandbox.validation import inline_rows

URL_KEYS = ("url", "web_app", "login_url")


class Button(NamedTuple):
    """An inline button: its label and its callback_data or url."""

    text: str
    value: str


@dataclass(frozen=True)
class SandboxDocument:
    """A document the bot sent."""

    file_id: str
    file_name: str | None
    mime_type: str | None
    content: bytes


@dataclass(frozen=True)
class SandboxPhoto:
    """A photo the bot sent."""

    file_id: str
    width: int
    height: int
    content: bytes


@dataclass(frozen=True)
class SandboxMessage:
    """A message as it currently is (edits applied)."""

    message_id: int
    from_bot: bool
    text: str
    html: str
    date: int
    version: int = 0
    deleted: bool = False
    buttons: list[list[Button]] = field(default_factory=list)
    reply_keyboard: list[list[str]] | None = None
    document: SandboxDocument | None = None
    photo: SandboxPhoto | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def edited(self) -> bool:
        """Whether the message was edited since it was sent."""
        return self.version > 0

    @property
    def labels(self) -> list[str]:
        """All inline button labels, row by row."""
        return [button.text for row in self.buttons for button in row]


def button_value(button: dict[str, Any]) -> str:
    """The callback_data or url behind an inline button."""
    if "callback_data" in button:
        return str(button["callback_data"])
    for key in URL_KEYS:
        target = button.get(key)
        if isinstance(target, str):
            return target
        if isinstance(target, dict) and isinstance(target.get("url"), str):
            return str(target["url"])
    return ""


def keyboard_labels(markup: dict[str, Any] | None) -> list[list[str]] | None:
    """Labels of a reply keyboard markup, or None."""
    if not markup or not isinstance(markup.get("keyboard"), list):
        return None
    return [
        [button if isinstance(button, str) else str(button.get("text", "")) for button in row]
        for row in markup["keyboard"]
    ]


def snapshot(state: SandboxState, message: StoredMessage) -> SandboxMessage:
    """Freeze a stored message into a view."""
    document = photo = None
    if message.document is not None:
        stored = message.document
        document = SandboxDocument(
            stored.file_id, stored.file_name, stored.mime_type, stored.content
        )
    if message.photo is not None:
        width, height = image_size(message.photo.content)
        photo = SandboxPhoto(message.photo.file_id, width, height, message.photo.content)
    rows = [
        [Button(str(button.get("text", "")), button_value(button)) for button in row]
        for row in inline_rows(message.reply_markup)
    ]
    return SandboxMessage(
        message_id=message.message_id,
        from_bot=message.from_bot,
        text=message.text,
        html=message.html,
        date=message.date,
        version=message.version,
        deleted=message.deleted,
        buttons=rows,
        reply_keyboard=keyboard_labels(message.reply_markup),
        document=document,
        photo=photo,
        raw=state.message_wire(message),
    )
