"""Showing a screen in answer to a button: edit the message in place, else send a new one."""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

log = logging.getLogger(__name__)


def own_message(query: CallbackQuery) -> Message | None:
    """The pressed message, if it is in the presser's own chat with the bot. A forged update
    can name a message of someone else's chat: the answer must not be written there."""
    message = query.message
    if isinstance(message, Message) and message.chat.id == query.from_user.id:
        return message
    return None


async def edit_or_send(
    query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Replace the pressed message; a message too old to edit (or not in the presser's own
    chat) gets a fresh one in the presser's chat instead."""
    message = own_message(query)
    if message is not None:
        try:
            await message.edit_text(text, reply_markup=markup)
            return
        except TelegramBadRequest as exc:
            if "message is not modified" in exc.message:
                return
            log.info("sending instead of editing message %s: %s", message.message_id, exc)
    if query.bot is not None:
        await query.bot.send_message(query.from_user.id, text, reply_markup=markup)


async def refuse_stale(query: CallbackQuery) -> None:
    """The answer to a button that is forged, someone else's, or no longer valid."""
    await query.answer(
        _("This button is no longer valid. Please send /start to open the menu again."),
        show_alert=True,
    )
