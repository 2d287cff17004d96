"""Simulated users: messages they send, buttons they press, what they see."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

from bot.sandbox import SandboxServer

MENU = InlineKeyboardMarkup(
    inline_keyboard=[
        [
            InlineKeyboardButton(text="Book a desk", callback_data="book"),
            InlineKeyboardButton(text="FAQ", callback_data="faq"),
        ],
        [InlineKeyboardButton(text="Website", url="https://example.org")],
    ]
)


async def test_user_messages_are_valid_updates(server: SandboxServer, bot: Bot) -> None:
    anna = server.user(1001, "Anna", username="anna", language_code="fi")
    assert server.user(1001, "Someone") is anna
    payload = await anna.send("/start ref42")
    assert payload["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    await anna.send_sticker()
    await anna.send_photo(caption="look")
    await anna.send_voice()
    await anna.send_message_payload({"contact": {"phone_number": "+358", "first_name": "Anna"}})
    updates = await bot.get_updates()
    messages = [u.message for u in updates if u.message]
    assert len(messages) == 5
    start = messages[0]
    assert start.text == "/start ref42"
    assert start.from_user is not None and start.from_user.language_code == "fi"
    assert start.chat.username == "anna"
    assert messages[1].sticker is not None
    assert messages[2].photo is not None and messages[2].caption == "look"
    assert messages[3].voice is not None
    assert messages[4].contact is not None
    assert [m.message_id for m in messages] == [1, 2, 3, 4, 5]
    assert [m.from_bot for m in anna.history] == [False] * 5


async def test_press_by_index_and_label(server: SandboxServer, bot: Bot) -> None:
    anna = server.user(1001, "Anna")
    await anna.send("hi")
    sent = await bot.send_message(anna.id, "Menu", reply_markup=MENU)
    await bot.send_message(anna.id, "no buttons here")
    first = await anna.press(2)
    second = await anna.press("desk")
    third = await anna.press("faq", message_id=sent.message_id)
    updates = await bot.get_updates()
    queries = [u.callback_query for u in updates if u.callback_query]
    assert [q.id for q in queries] == [first, second, third]
    assert [q.data for q in queries] == ["faq", "book", "faq"]
    assert queries[0].message is not None and queries[0].message.message_id == sent.message_id
    assert queries[0].from_user.id == anna.id
    assert anna.messages[0].labels == ["Book a desk", "FAQ", "Website"]
    assert anna.messages[0].buttons[1] == [("Website", "https://example.org")]


async def test_press_errors(server: SandboxServer, bot: Bot) -> None:
    anna = server.user(1001, "Anna")
    await anna.send("hi")
    with pytest.raises(LookupError, match="no bot message with inline buttons"):
        await anna.press(1)
    await bot.send_message(anna.id, "Menu", reply_markup=MENU)
    with pytest.raises(LookupError, match=r"no button 4 .*\[1\] Book a desk, \[2\] FAQ"):
        await anna.press(4)
    with pytest.raises(LookupError, match="no button matching 'coach'"):
        await anna.press("coach")
    with pytest.raises(LookupError, match="not pressable"):
        await anna.press("website")
    with pytest.raises(LookupError, match="no bot message 99"):
        await anna.click(99, "forged")


async def test_click_sends_forged_data(server: SandboxServer, bot: Bot) -> None:
    anna = server.user(1001, "Anna")
    await anna.send("hi")
    sent = await bot.send_message(anna.id, "Menu", reply_markup=MENU)
    await bot.edit_message_text(text="Edited", chat_id=anna.id, message_id=sent.message_id)
    query_id = await anna.click(sent.message_id, "admin:delete_all")
    update = (await bot.get_updates())[-1]
    assert isinstance(update, Update) and update.callback_query is not None
    assert update.callback_query.id == query_id
    assert update.callback_query.data == "admin:delete_all"
    message = update.callback_query.message
    assert message is not None and getattr(message, "text", None) == "Edited"
    assert anna.answer_for(query_id) is None


async def test_reply_keyboard_and_blocking(server: SandboxServer, bot: Bot) -> None:
    anna = server.user(1001, "Anna")
    await anna.send("hi")
    keyboard = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Menu")]], resize_keyboard=True)
    await bot.send_message(anna.id, "Keyboard on", reply_markup=keyboard)
    assert anna.reply_keyboard == [["Menu"]]
    assert anna.last.reply_keyboard == [["Menu"]]
    await bot.send_message(anna.id, "Keyboard off", reply_markup=ReplyKeyboardRemove())
    assert anna.reply_keyboard is None
    anna.block()
    with pytest.raises(RuntimeError, match="blocked the bot"):
        await anna.send("hello?")
