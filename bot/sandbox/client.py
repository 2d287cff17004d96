"""Simulated users: they send messages, press buttons and read what the bot answered."""

from __future__ import annotations

import html
import re
from typing import Any

from bot.sandbox.records import CallbackAnswer, CallbackRecord
from bot.sandbox.state import (
    ChatState,
    SandboxState,
    StoredMessage,
    UserInfo,
    now,
)
from bot.sandbox.validation import inline_rows
from bot.sandbox.views import Button, SandboxMessage, button_value, keyboard_labels, snapshot

COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
STICKER_FILE = "CAACAgIAAxkBAAI"
PHOTO_SIZES = ((90, 67), (320, 240), (800, 600))


class SandboxUser:
    """One simulated user and the private chat with the bot."""

    def __init__(self, state: SandboxState, info: UserInfo) -> None:
        self.state = state
        self.info = info

    @property
    def id(self) -> int:
        """The user id, which is also the chat id."""
        return self.info.id

    @property
    def first_name(self) -> str:
        """The user's first name."""
        return self.info.first_name

    @property
    def chat(self) -> ChatState | None:
        """The chat with the bot, once started."""
        return self.state.chats.get(self.id)

    def _active_chat(self) -> ChatState:
        chat = self.state.chat_of(self.info)
        if chat.blocked:
            raise RuntimeError(f"{self.first_name} has blocked the bot; call unblock() first")
        return chat

    async def send(self, text: str) -> dict[str, Any]:
        """Send a text message; a leading /command gets a bot_command entity."""
        extra: dict[str, Any] = {"text": text}
        match = COMMAND_RE.match(text)
        if match:
            extra["entities"] = [{"type": "bot_command", "offset": 0, "length": match.end()}]
        return await self.send_message_payload(extra)

    async def send_sticker(self, emoji: str = "👍") -> dict[str, Any]:
        """Send a sticker."""
        sticker = self.state.add_file(STICKER_FILE, None, "image/webp", b"")
        return await self.send_message_payload(
            {
                "sticker": {
                    "file_id": sticker.file_id,
                    "file_unique_id": sticker.file_unique_id,
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                    "emoji": emoji,
                }
            }
        )

    async def send_photo(self, caption: str | None = None) -> dict[str, Any]:
        """Send a photo in three sizes."""
        sizes = []
        for width, height in PHOTO_SIZES:
            stored = self.state.add_file("AgAC", None, "image/jpeg", b"")
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": width,
                    "height": height,
                    "file_size": width * height // 10,
                }
            )
        extra: dict[str, Any] = {"photo": sizes}
        if caption:
            extra["caption"] = caption
        return await self.send_message_payload(extra)

    async def send_voice(self, duration: int = 3) -> dict[str, Any]:
        """Send a voice message."""
        stored = self.state.add_file("AwAC", None, "audio/ogg", b"")
        voice = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": duration * 4000,
        }
        return await self.send_message_payload({"voice": voice})

    async def send_message_payload(self, extra: dict[str, Any]) -> dict[str, Any]:
        """Send a message with arbitrary extra Message fields; returns the Message object."""
        chat = self._active_chat()
        payload: dict[str, Any] = {
            "message_id": chat.next_message_id(),
            "from": self.info.wire(),
            "chat": self.info.chat_wire(),
            "date": now(),
            **extra,
        }
        text = str(payload.get("text") or payload.get("caption") or "")
        chat.messages[payload["message_id"]] = StoredMessage(
            message_id=payload["message_id"],
            chat_id=self.id,
            from_bot=False,
            date=payload["date"],
            text=text,
            html=html.escape(text, quote=False),
            entities=list(payload.get("entities", [])),
            payload=payload,
        )
        self.state.push_update("message", payload)
        return payload

    def find_button(
        self, button: int | str, message_id: int | None = None
    ) -> tuple[SandboxMessage, Button]:
        """Resolve a button by 1-based index or label fragment; raises LookupError."""
        chat = self.chat
        candidates = [] if chat is None else list(chat.messages.values())
        if message_id is not None:
            candidates = [m for m in candidates if m.message_id == message_id]
        with_keyboard = [
            m for m in candidates if m.from_bot and not m.deleted and inline_rows(m.reply_markup)
        ]
        if not with_keyboard:
            where = f"message {message_id}" if message_id is not None else "the chat"
            raise LookupError(
                f"no bot message with inline buttons in {where} with {self.first_name}"
            )
        message = with_keyboard[-1]
        flat = [b for row in inline_rows(message.reply_markup) for b in row]
        listing = ", ".join(f"[{i}] {b.get('text', '')}" for i, b in enumerate(flat, 1))
        if isinstance(button, int):
            if not 1 <= button <= len(flat):
                raise LookupError(f"no button {button} on message {message.message_id}: {listing}")
            chosen = flat[button - 1]
        else:
            wanted = button.casefold()
            matches = [b for b in flat if wanted in str(b.get("text", "")).casefold()]
            if not matches:
                raise LookupError(
                    f"no button matching {button!r} on message {message.message_id}: {listing}"
                )
            chosen = matches[0]
        label = str(chosen.get("text", ""))
        if "callback_data" not in chosen:
            raise LookupError(f"button {label!r} opens {button_value(chosen)!r}; not pressable")
        return snapshot(self.state, message), Button(label, str(chosen["callback_data"]))

    async def press(self, button: int | str, message_id: int | None = None) -> str:
        """Press an inline button and return the callback query id."""
        message, chosen = self.find_button(button, message_id)
        return await self.click(message.message_id, chosen.value)

    async def click(self, message_id: int, data: str) -> str:
        """Send a callback query with any data for a bot message; returns its id."""
        chat = self._active_chat()
        message = chat.live(message_id)
        if message is None or not message.from_bot:
            raise LookupError(f"no bot message {message_id} in the chat with {self.first_name}")
        query_id = str(4_200_000_000_000_000 + len(self.state.callbacks) + 1)
        self.state.callbacks[query_id] = CallbackRecord(query_id, self.id, message_id, data)
        self.state.push_update(
            "callback_query",
            {
                "id": query_id,
                "from": self.info.wire(),
                "chat_instance": str(-(7_000_000_000_000_000_000 + self.id)),
                "message": self.state.message_wire(message),
                "data": data,
            },
        )
        return query_id

    @property
    def messages(self) -> list[SandboxMessage]:
        """The bot's messages in this chat as they are now."""
        chat = self.chat
        if chat is None:
            return []
        stored = [m for m in chat.messages.values() if m.from_bot and not m.deleted]
        return [snapshot(self.state, m) for m in stored]

    @property
    def last(self) -> SandboxMessage:
        """The latest bot message; raises LookupError when there is none."""
        messages = self.messages
        if not messages:
            raise LookupError(f"the bot has not sent anything to {self.first_name}")
        return messages[-1]

    @property
    def history(self) -> list[SandboxMessage]:
        """Every message of the chat from both sides, deleted ones flagged."""
        chat = self.chat
        return [] if chat is None else [snapshot(self.state, m) for m in chat.messages.values()]

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """Labels of the reply keyboard currently shown, if any."""
        chat = self.chat
        return None if chat is None else keyboard_labels(chat.reply_keyboard)

    @property
    def toasts(self) -> list[CallbackAnswer]:
        """Answers to this user's callback queries, in the order the bot gave them."""
        mine = {cid for cid, record in self.state.callbacks.items() if record.user_id == self.id}
        return [answer for answer in self.state.callback_answers if answer.callback_id in mine]

    def answer_for(self, callback_id: str) -> CallbackAnswer | None:
        """The bot's answer to one callback query, if it answered."""
        record = self.state.callbacks.get(callback_id)
        return None if record is None else record.answer

    def block(self) -> None:
        """Block the bot: further sends fail with 403."""
        self._set_blocked(True)

    def unblock(self) -> None:
        """Unblock (restart) the bot."""
        self._set_blocked(False)

    def _set_blocked(self, blocked: bool) -> None:
        chat = self.state.chat_of(self.info)
        if chat.blocked == blocked:
            return
        chat.blocked = blocked
        bot = self.state.bot_wire()
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        self.state.push_update(
            "my_chat_member",
            {
                "chat": self.info.chat_wire(),
                "from": self.info.wire(),
                "date": now(),
                "old_chat_member": _member(bot, old),
                "new_chat_member": _member(bot, new),
            },
        )


def _member(bot: dict[str, Any], status: str) -> dict[str, Any]:
    body: dict[str, Any] = {"user": bot, "status": status}
    if status == "kicked":
        body["until_date"] = 0
    return body
