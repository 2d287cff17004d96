"""The sandbox's in-memory world: users, chats, messages, files and pending updates."""

from __future__ import annotations

import asyncio
import struct
import time
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.records import (
    Call,
    CallbackAnswer,
    CallbackRecord,
    ErrorRecord,
    PendingUpdate,
    WebhookConfig,
)
from bot.sandbox.validation import inline_rows

DEFAULT_PHOTO_SIZE = (800, 600)


@dataclass(frozen=True)
class UserInfo:
    """A simulated Telegram user."""

    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = "en"

    def wire(self) -> dict[str, Any]:
        """The User object."""
        body: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            body["username"] = self.username
        if self.language_code:
            body["language_code"] = self.language_code
        return body

    def chat_wire(self) -> dict[str, Any]:
        """The private Chat object with this user."""
        body: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.username:
            body["username"] = self.username
        return body


@dataclass
class StoredFile:
    """A file known to the sandbox."""

    file_id: str
    file_unique_id: str
    file_name: str | None
    mime_type: str | None
    content: bytes

    def document_wire(self) -> dict[str, Any]:
        """The Document object."""
        body: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
        }
        if self.file_name:
            body["file_name"] = self.file_name
        if self.mime_type:
            body["mime_type"] = self.mime_type
        return body

    def photo_wire(self) -> list[dict[str, Any]]:
        """The PhotoSize list."""
        width, height = image_size(self.content)
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "file_size": len(self.content),
                "width": width,
                "height": height,
            }
        ]


def image_size(content: bytes) -> tuple[int, int]:
    """Width and height of a PNG, or a typical size for anything else."""
    if content[:8] == b"\x89PNG\r\n\x1a\n" and len(content) >= 24:
        width, height = struct.unpack(">II", content[16:24])
        return int(width), int(height)
    return DEFAULT_PHOTO_SIZE


@dataclass
class StoredMessage:
    """One message of a chat, from either side; edits are applied in place."""

    message_id: int
    chat_id: int
    from_bot: bool
    date: int
    text: str = ""
    html: str = ""
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    document: StoredFile | None = None
    photo: StoredFile | None = None
    payload: dict[str, Any] | None = None
    edit_date: int | None = None
    version: int = 0
    deleted: bool = False

    @property
    def has_media(self) -> bool:
        """Whether the text is a caption."""
        return self.document is not None or self.photo is not None


@dataclass
class ChatState:
    """A private chat between the bot and one user."""

    user: UserInfo
    blocked: bool = False
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    last_message_id: int = 0
    reply_keyboard: dict[str, Any] | None = None

    def next_message_id(self) -> int:
        """Allocate a message id; both sides share the sequence."""
        self.last_message_id += 1
        return self.last_message_id

    def live(self, message_id: int) -> StoredMessage | None:
        """A message that exists and was not deleted."""
        message = self.messages.get(message_id)
        return None if message is None or message.deleted else message


class SandboxState:
    """Everything the server knows; mutated by the API and by simulated users."""

    def __init__(self, bot_username: str, bot_name: str) -> None:
        self.bot_username = bot_username
        self.bot_name = bot_name
        self.bot_id = 0
        self.users: dict[int, UserInfo] = {}
        self.chats: dict[int, ChatState] = {}
        self.pending: list[PendingUpdate] = []
        self.updates_total = 0
        self.callbacks: dict[str, CallbackRecord] = {}
        self.callback_answers: list[CallbackAnswer] = []
        self.files: dict[str, StoredFile] = {}
        self.bot_commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.descriptions: dict[tuple[str, str], str] = {}
        self.webhook: WebhookConfig | None = None
        self.calls: list[Call] = []
        self.errors: list[ErrorRecord] = []
        self.closing = False
        self.polls = 0
        self.activity = 0
        self._next_update_id = 1
        self._next_file = 1
        self._changed = asyncio.Event()

    def touch(self) -> None:
        """Signal that something changed; wakes every waiter."""
        self.activity += 1
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_change(self, seconds: float | None) -> None:
        """Wait until `touch` is called or `seconds` pass (None: no limit)."""
        event = self._changed
        try:
            await asyncio.wait_for(event.wait(), seconds)
        except TimeoutError:
            return

    def bot_wire(self) -> dict[str, Any]:
        """The bot's User object."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
        }

    def push_update(self, kind: str, body: dict[str, Any]) -> int:
        """Queue a new update for the bot and return its id."""
        update_id = self._next_update_id
        self._next_update_id += 1
        self.updates_total += 1
        self.pending.append(PendingUpdate(update_id, {"update_id": update_id, kind: body}))
        self.touch()
        return update_id

    def confirm(self, offset: int) -> None:
        """Drop pending updates with an id lower than `offset`."""
        kept = [update for update in self.pending if update.update_id >= offset]
        if len(kept) != len(self.pending):
            self.pending = kept
            self.touch()

    def drop_pending(self) -> None:
        """Forget every pending update."""
        if self.pending:
            self.pending = []
            self.touch()

    def add_file(
        self, prefix: str, name: str | None, mime: str | None, content: bytes
    ) -> StoredFile:
        """Register a file and give it Telegram-like identifiers."""
        number = self._next_file
        self._next_file += 1
        stored = StoredFile(
            file_id=f"{prefix}AgIAAxkBAAI{number:08d}",
            file_unique_id=f"AgAD{number:08d}",
            file_name=name,
            mime_type=mime,
            content=content,
        )
        self.files[stored.file_id] = stored
        return stored

    def chat_of(self, user: UserInfo) -> ChatState:
        """The chat with a user, created when the user first acts."""
        chat = self.chats.get(user.id)
        if chat is None:
            chat = self.chats[user.id] = ChatState(user)
        return chat

    def message_wire(self, message: StoredMessage) -> dict[str, Any]:
        """The Message object as Telegram sends it."""
        if not message.from_bot and message.payload is not None:
            return dict(message.payload)
        chat = self.chats[message.chat_id]
        body: dict[str, Any] = {
            "message_id": message.message_id,
            "from": self.bot_wire(),
            "chat": chat.user.chat_wire(),
            "date": message.date,
        }
        if message.edit_date is not None:
            body["edit_date"] = message.edit_date
        if message.document is not None:
            body["document"] = message.document.document_wire()
        elif message.photo is not None:
            body["photo"] = message.photo.photo_wire()
        if message.has_media:
            if message.text:
                body["caption"] = message.text
            if message.entities:
                body["caption_entities"] = message.entities
        else:
            body["text"] = message.text
            if message.entities:
                body["entities"] = message.entities
        rows = inline_rows(message.reply_markup)
        if rows:
            body["reply_markup"] = {"inline_keyboard": rows}
        return body


def now() -> int:
    """Unix time in whole seconds, as Telegram dates are."""
    return int(time.time())
