"""An in-process Bot API for tests and benchmarks: records every call, answers like Telegram."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageReplyMarkup,
    EditMessageText,
    GetMe,
    SendDocument,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import Chat, InlineKeyboardMarkup, Message, PhotoSize, User

from bot.outgoing import guard


@dataclass
class Recorded:
    """What the bot has done in one chat, edits applied."""

    messages: dict[int, Message] = field(default_factory=dict)
    toasts: list[AnswerCallbackQuery] = field(default_factory=list)


class RecordingSession(BaseSession):
    """Answers the methods a bot needs without a network; keeps what it was asked."""

    def __init__(self, bot_user: User | None = None) -> None:
        super().__init__()
        guard(self)  # as production's session: a call commits the update's work first
        self.me = bot_user or User(id=1, is_bot=True, first_name="Concierge", username="bot")
        self.calls: list[TelegramMethod[Any]] = []
        # Called with each method as it arrives (after the bot's own request middlewares):
        # tests look at the world at the moment something is said.
        self.on_call: Callable[[TelegramMethod[Any]], Awaitable[None]] | None = None
        # Run after each update a ChatClient feeds: tests deliver the outbox there, as the
        # delivery engine does right after the commit in production.
        self.after_update: Callable[[], Awaitable[object]] | None = None
        self.chats: dict[int, Recorded] = {}
        self._ids = itertools.count(1)

    def chat(self, chat_id: int) -> Recorded:
        return self.chats.setdefault(chat_id, Recorded())

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 - aiogram's signature
    ) -> TelegramType:
        self.calls.append(method)
        if self.on_call is not None:
            await self.on_call(method)
        result: Any = True
        if isinstance(method, GetMe):
            result = self.me
        elif isinstance(method, SendMessage | SendDocument | SendPhoto):
            result = self._send(method)
        elif isinstance(method, EditMessageText | EditMessageReplyMarkup):
            result = self._edit(method)
        elif isinstance(method, DeleteMessage):
            self.chat(int(method.chat_id)).messages.pop(method.message_id, None)
        elif isinstance(method, AnswerCallbackQuery):
            self._toast(method)
        return result  # type: ignore[no-any-return]

    def _send(self, method: SendMessage | SendDocument | SendPhoto) -> Message:
        chat_id = int(method.chat_id)
        markup = method.reply_markup
        markup = markup if isinstance(markup, InlineKeyboardMarkup) else None
        message = Message(
            message_id=next(self._ids),
            date=int(time.time()),
            chat=Chat(id=chat_id, type="private"),
            from_user=self.me,
            text=method.text if isinstance(method, SendMessage) else None,
            caption=None if isinstance(method, SendMessage) else method.caption,
            photo=[_photo(method.photo)] if isinstance(method, SendPhoto) else None,
            reply_markup=markup,
        )
        self.chat(chat_id).messages[message.message_id] = message
        return message

    def _edit(self, method: EditMessageText | EditMessageReplyMarkup) -> Message:
        messages = self.chat(int(method.chat_id or 0)).messages
        current = messages.get(method.message_id or 0)
        if current is None:
            raise TelegramBadRequest(method, "Bad Request: message to edit not found")
        text = method.text if isinstance(method, EditMessageText) else current.text
        if text == current.text and method.reply_markup == current.reply_markup:
            raise TelegramBadRequest(method, "Bad Request: message is not modified")
        edited = current.model_copy(update={"text": text, "reply_markup": method.reply_markup})
        messages[edited.message_id] = edited
        return edited

    def _toast(self, method: AnswerCallbackQuery) -> None:
        chat_id = int(method.callback_query_id.split(":", 1)[0])
        self.chat(chat_id).toasts.append(method)

    async def close(self) -> None:
        return None

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 - aiogram's signature
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        yield b""


def _photo(sent: Any) -> PhotoSize:
    """What a recorded photo is: the file id it was sent by, or one for an upload."""
    file_id = sent if isinstance(sent, str) else f"upload-{id(sent):x}"
    return PhotoSize(file_id=file_id, file_unique_id=file_id, width=1, height=1)


class ChatClient:
    """One person talking to a dispatcher in-process: `send()` text, `click()` buttons."""

    _update_ids = itertools.count(1)

    def __init__(
        self,
        dispatcher: Any,
        bot: Bot,
        user_id: int,
        *,
        first_name: str = "Anna",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> None:
        self.dispatcher = dispatcher
        self.bot = bot
        self.user = User(
            id=user_id,
            is_bot=False,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        self.chat = Chat(id=user_id, type="private", first_name=first_name)
        session = bot.session
        assert isinstance(session, RecordingSession), "ChatClient needs a RecordingSession bot"
        self.session = session
        self._message_ids = itertools.count(1_000_000)

    @property
    def recorded(self) -> Recorded:
        return self.session.chat(self.user.id)

    @property
    def messages(self) -> list[Message]:
        return list(self.recorded.messages.values())

    @property
    def last(self) -> Message:
        return self.messages[-1]

    @property
    def toasts(self) -> list[str | None]:
        return [toast.text for toast in self.recorded.toasts]

    def message_update(self, text: str | None = None, **content: Any) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.chat.model_dump(exclude_none=True),
            "from": self.user.model_dump(exclude_none=True),
            **content,
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                length = len(text.split(maxsplit=1)[0])
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return {"update_id": next(self._update_ids), "message": message}

    async def send(self, text: str | None = None, **content: Any) -> Any:
        """Send a text (or other content, e.g. `sticker={...}`) and let the bot answer it."""
        return await self.feed(self.message_update(text, **content))

    async def click(self, button: str | int, message: Message | None = None) -> Any:
        """Press a button by callback data (str with ':'), label substring or 1-based index."""
        target = message or next(m for m in reversed(self.messages) if m.reply_markup)
        data = self._find(target, button)
        return await self.press_data(data, target)

    async def press_data(self, data: str, message: Message | None = None) -> Any:
        """A callback query with any data at all, as a forged button would send."""
        target = message or self.last
        query = {
            "id": f"{self.user.id}:{next(self._update_ids)}",
            "from": self.user.model_dump(exclude_none=True),
            "chat_instance": str(self.user.id),
            "message": target.model_dump(mode="json", by_alias=True, exclude_none=True),
            "data": data,
        }
        return await self.feed({"update_id": next(self._update_ids), "callback_query": query})

    async def feed(self, update: dict[str, Any]) -> Any:
        from aiogram.types import Update

        result = await self.dispatcher.feed_update(self.bot, Update.model_validate(update))
        if self.session.after_update is not None:
            await self.session.after_update()
        return result

    @staticmethod
    def _find(message: Message, button: str | int) -> str:
        markup = message.reply_markup
        buttons = [b for row in markup.inline_keyboard for b in row] if markup else []
        if isinstance(button, int):
            chosen = buttons[button - 1]
        else:
            matches = [b for b in buttons if button.lower() in b.text.lower()]
            if not matches:
                labels = ", ".join(b.text for b in buttons)
                raise LookupError(f"no button {button!r} among: {labels}")
            chosen = matches[0]
        assert chosen.callback_data is not None
        return chosen.callback_data
