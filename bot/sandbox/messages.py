"""Bot API methods that send, edit and delete messages."""

from __future__ import annotations

import mimetypes
from typing import Any

from aiogram.types import MessageEntity
from aiogram.utils.text_decorations import html_decoration
from pydantic import ValidationError

from bot.sandbox.formatting import Formatted, parse_html, trim
from bot.sandbox.markdown import parse_markdown, parse_markdown_v2
from bot.sandbox.state import ChatState, SandboxState, StoredFile, StoredMessage, now
from bot.sandbox.validation import (
    ApiError,
    Params,
    UploadedFile,
    inline_rows,
    validate_reply_markup,
)

MAX_TEXT = 4096
MAX_CAPTION = 1024
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
PARSERS = {"html": parse_html, "markdownv2": parse_markdown_v2, "markdown": parse_markdown}


def format_text(params: Params, text_key: str, entities_key: str) -> tuple[Formatted, str]:
    """Apply parse_mode or explicit entities; return the trimmed result and its HTML."""
    raw = params.get_text(text_key) or ""
    entities = params.get_json(entities_key, "entities")
    mode = (params.get_text("parse_mode") or "").lower()
    if entities is not None:
        if not isinstance(entities, list) or not all(isinstance(e, dict) for e in entities):
            raise ApiError.bad_request("can't parse entities JSON object")
        formatted = trim(Formatted(raw, entities))
    elif mode:
        parser = PARSERS.get(mode)
        if parser is None:
            raise ApiError.bad_request("unsupported parse_mode")
        formatted = trim(parser(raw))
    else:
        formatted = trim(Formatted(raw))
    if mode == "html" and entities is None:
        return formatted, raw.strip()
    try:
        objects = [MessageEntity.model_validate(entity) for entity in formatted.entities]
    except ValidationError as exc:
        raise ApiError.bad_request("can't parse entities JSON object") from exc
    return formatted, html_decoration.unparse(formatted.text, objects)


class MessageMethods:
    """sendMessage, sendDocument, sendPhoto, edits and deletion."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def chat(self, params: Params) -> ChatState:
        """The target chat, checked the way Telegram checks it."""
        chat_id = params.get_chat_id()
        chat = self.state.chats.get(chat_id)
        if chat is None:
            if chat_id in self.state.users:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
            raise ApiError.bad_request("chat not found")
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _store(self, chat: ChatState, message: StoredMessage, markup: dict[str, Any] | None) -> Any:
        chat.messages[message.message_id] = message
        if markup is not None and "inline_keyboard" not in markup:
            chat.reply_keyboard = None if markup.get("remove_keyboard") else markup
        self.state.touch()
        return self.state.message_wire(message)

    def send_message(self, params: Params) -> Any:
        chat = self.chat(params)
        formatted, html = format_text(params, "text", "entities")
        if not formatted.text:
            raise ApiError.bad_request("message text is empty")
        if len(formatted.text) > MAX_TEXT:
            raise ApiError.bad_request("message is too long")
        return self._send(chat, params, formatted, html)

    def send_document(self, params: Params) -> Any:
        return self._send_media(params, "document")

    def send_photo(self, params: Params) -> Any:
        return self._send_media(params, "photo")

    def _send_media(self, params: Params, kind: str) -> Any:
        chat = self.chat(params)
        stored = self._input_file(params, kind)
        formatted, html = self._caption(params)
        return self._send(
            chat,
            params,
            formatted,
            html,
            document=stored if kind == "document" else None,
            photo=stored if kind == "photo" else None,
        )

    def _send(
        self, chat: ChatState, params: Params, formatted: Formatted, html: str, **media: Any
    ) -> Any:
        """Store a new bot message in `chat` and return it as Telegram would."""
        markup = validate_reply_markup(params.get_json("reply_markup", "reply keyboard markup"))
        message = StoredMessage(
            message_id=chat.next_message_id(),
            chat_id=chat.user.id,
            from_bot=True,
            date=now(),
            text=formatted.text,
            html=html,
            entities=formatted.entities,
            reply_markup=markup,
            **media,
        )
        return self._store(chat, message, markup)

    @staticmethod
    def _caption(params: Params) -> tuple[Formatted, str]:
        formatted, html = format_text(params, "caption", "caption_entities")
        if len(formatted.text) > MAX_CAPTION:
            raise ApiError.bad_request("message caption is too long")
        return formatted, html

    def _input_file(self, params: Params, kind: str) -> StoredFile:
        value = params.values.get(kind)
        if isinstance(value, UploadedFile):
            if kind == "photo":
                return self.state.add_file("AgAC", None, None, value.content)
            guessed = mimetypes.guess_type(value.filename)[0]
            mime = guessed or value.content_type or "application/octet-stream"
            return self.state.add_file("BQAC", value.filename, mime, value.content)
        if isinstance(value, str) and value:
            known = self.state.files.get(value)
            if known is not None:
                return known
            if value.startswith(("http://", "https://")):
                name = value.rsplit("/", 1)[-1] or None
                prefix = "AgAC" if kind == "photo" else "BQAC"
                return self.state.add_file(prefix, name, None, b"")
            raise ApiError.bad_request("wrong file identifier/HTTP URL specified")
        raise ApiError.bad_request(f"there is no {kind} in the request")

    def _target(self, params: Params, action: str) -> tuple[ChatState, StoredMessage]:
        if not params.has("chat_id") and params.has("inline_message_id"):
            raise ApiError.bad_request(f"message to {action} not found")
        chat = self.chat(params)
        message_id = params.get_int("message_id", missing="message identifier is not specified")
        message = chat.live(message_id or 0)
        if message is None:
            raise ApiError.bad_request(f"message to {action} not found")
        return chat, message

    def _apply_edit(
        self,
        message: StoredMessage,
        formatted: Formatted,
        html: str,
        markup: dict[str, Any] | None,
    ) -> Any:
        same_text = formatted.text == message.text and formatted.entities == message.entities
        if same_text and inline_rows(markup) == inline_rows(message.reply_markup):
            raise ApiError.bad_request(NOT_MODIFIED)
        message.text, message.html, message.entities = formatted.text, html, formatted.entities
        message.reply_markup = markup if inline_rows(markup) else None
        message.edit_date = now()
        message.version += 1
        self.state.touch()
        return self.state.message_wire(message)

    def edit_message_text(self, params: Params) -> Any:
        _, message = self._target(params, "edit")
        if not message.from_bot:
            raise ApiError.bad_request("message can't be edited")
        if message.has_media:
            raise ApiError.bad_request("there is no text in the message to edit")
        formatted, html = format_text(params, "text", "entities")
        if not formatted.text:
            raise ApiError.bad_request("message text is empty")
        if len(formatted.text) > MAX_TEXT:
            raise ApiError.bad_request("message is too long")
        markup = validate_reply_markup(params.get_json("reply_markup", "reply keyboard markup"))
        return self._apply_edit(message, formatted, html, markup)

    def edit_message_caption(self, params: Params) -> Any:
        _, message = self._target(params, "edit")
        if not message.from_bot:
            raise ApiError.bad_request("message can't be edited")
        if not message.has_media:
            raise ApiError.bad_request("there is no caption in the message to edit")
        formatted, html = self._caption(params)
        markup = validate_reply_markup(params.get_json("reply_markup", "reply keyboard markup"))
        return self._apply_edit(message, formatted, html, markup)

    def edit_message_reply_markup(self, params: Params) -> Any:
        _, message = self._target(params, "edit")
        if not message.from_bot:
            raise ApiError.bad_request("message can't be edited")
        markup = validate_reply_markup(params.get_json("reply_markup", "reply keyboard markup"))
        formatted = Formatted(message.text, message.entities)
        return self._apply_edit(message, formatted, message.html, markup)

    def delete_message(self, params: Params) -> bool:
        _, message = self._target(params, "delete")
        message.deleted = True
        self.state.touch()
        return True
