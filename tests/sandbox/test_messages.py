"""Sending, editing and deleting messages, and the checks Telegram applies."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MessageEntity,
)

from bot.sandbox import SandboxServer

PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x02\x00\x00\x00\x03"


def keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=text, callback_data=data) for text, data in row]
            for row in rows
        ]
    )


async def test_get_me_reports_the_bot(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123456
    assert me.is_bot
    assert me.username == "openinno_concierge_bot"
    assert me.first_name == "OpenINNO Concierge"


async def test_send_message_returns_a_parsed_message(server: SandboxServer, bot: Bot) -> None:
    anna = server.user(1001, "Anna", username="anna")
    await anna.send("/start")
    sent = await bot.send_message(
        anna.id,
        "<b>Hello</b> &amp; welcome",
        parse_mode="HTML",
        reply_markup=keyboard([("Go", "go")]),
    )
    assert sent.chat.id == anna.id
    assert sent.chat.type == "private"
    assert sent.from_user is not None and sent.from_user.id == 123456
    assert sent.text == "Hello & welcome"
    assert sent.entities is not None and sent.entities[0].type == "bold"
    assert sent.reply_markup is not None
    last = anna.last
    assert last.message_id == sent.message_id
    assert last.text == "Hello & welcome"
    assert last.html == "<b>Hello</b> &amp; welcome"
    assert last.buttons == [[("Go", "go")]]


async def test_plain_messages_get_escaped_html(server: SandboxServer, bot: Bot) -> None:
    anna = server.user(1001, "Anna")
    await anna.send("hi")
    await bot.send_message(anna.id, "  1 < 2  ")
    assert anna.last.text == "1 < 2"
    assert anna.last.html == "1 &lt; 2"


async def test_explicit_entities_are_kept(server: SandboxServer, bot: Bot) -> None:
    anna = server.user(1001, "Anna")
    await anna.send("hi")
    bold = MessageEntity(type="bold", offset=0, length=2)
    sent = await bot.send_message(anna.id, "Hi there", entities=[bold])
    assert [e.model_dump() for e in sent.entities or []] == [bold.model_dump()]
    assert anna.last.html == "<b>Hi</b> there"


async def test_edit_applies_and_removes_keyboard_when_omitted(
    server: SandboxServer, bot: Bot
) -> None:
    anna = server.user(1001, "Anna")
    await anna.send("hi")
    sent = await bot.send_message(anna.id, "Pick", reply_markup=keyboard([("A", "a")]))
    edited = await bot.edit_message_text(text="Picked", chat_id=anna.id, message_id=sent.message_id)
    assert not isinstance(edited, bool)
    assert edited.text == "Picked"
    assert anna.last.text == "Picked"
    assert anna.last.edited
    assert anna.last.buttons == []


async def test_edit_reply_markup(server: SandboxServer, bot: Bot) -> None:
    anna = server.user(1001, "Anna")
    await anna.send("hi")
    sent = await bot.send_message(anna.id, "Pick", reply_markup=keyboard([("A", "a")]))
    await bot.edit_message_reply_markup(
        chat_id=anna.id, message_id=sent.message_id, reply_markup=keyboard([("B", "b")])
    )
    assert anna.last.buttons == [[("B", "b")]]
    assert anna.last.text == "Pick"


async def test_edit_with_identical_content_is_not_modified(server: SandboxServer, bot: Bot) -> None:
    anna = server.user(1001, "Anna")
    await anna.send("hi")
    markup = keyboard([("A", "a")])
    sent = await bot.send_message(anna.id, "Same", reply_markup=markup)
    with pytest.raises(TelegramBadRequest, match="message is not modified: specified new"):
        await bot.edit_message_text(
            text="Same", chat_id=anna.id, message_id=sent.message_id, reply_markup=markup
        )
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(
            chat_id=anna.id, message_id=sent.message_id, reply_markup=markup
        )
    assert server.errors[-1].error_code == 400


async def test_delete_removes_the_message(server: SandboxServer, bot: Bot) -> None:
    anna = server.user(1001, "Anna")
    await anna.send("hi")
    first = await bot.send_message(anna.id, "one")
    await bot.send_message(anna.id, "two")
    assert await bot.delete_message(anna.id, first.message_id)
    assert [m.text for m in anna.messages] == ["two"]
    assert [m.deleted for m in anna.history] == [False, True, False]
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(anna.id, first.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text(text="x", chat_id=anna.id, message_id=999)


async def test_text_checks(server: SandboxServer, bot: Bot) -> None:
    anna = server.user(1001, "Anna")
    await anna.send("hi")
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(anna.id, " \n ")
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(anna.id, "<b></b>", parse_mode="HTML")
    await bot.send_message(anna.id, "x" * 4096)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message is too long"):
        await bot.send_message(anna.id, "x" * 4097)
    await bot.send_message(anna.id, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(anna.id, "<b>" + "x" * 4097 + "</b>", parse_mode="HTML")


async def test_callback_data_limit_is_64_bytes(server: SandboxServer, bot: Bot) -> None:
    anna = server.user(1001, "Anna")
    await anna.send("hi")
    await bot.send_message(anna.id, "ok", reply_markup=keyboard([("A", "a" * 64)]))
    for data in ("a" * 65, "й" * 33):
        with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
            await bot.send_message(
                anna.id, "bad", reply_markup=keyboard([("A", "ok")], [("B", data)])
            )
    text_only = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="A")]])
    with pytest.raises(TelegramBadRequest, match="Text buttons are unallowed"):
        await bot.send_message(anna.id, "bad", reply_markup=text_only)


@pytest.mark.parametrize(
    ("html", "detail"),
    [
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("line<br>break", 'Unsupported start tag "br" at byte offset 4'),
    ],
)
async def test_bad_html_cannot_be_parsed(
    server: SandboxServer, bot: Bot, html: str, detail: str
) -> None:
    anna = server.user(1001, "Anna")
    await anna.send("hi")
    with pytest.raises(TelegramBadRequest) as caught:
        await bot.send_message(anna.id, html, parse_mode="HTML")
    assert caught.value.message == f"Bad Request: can't parse entities: {detail}"


async def test_markdown_v2_reserved_characters(server: SandboxServer, bot: Bot) -> None:
    anna = server.user(1001, "Anna")
    await anna.send("hi")
    with pytest.raises(TelegramBadRequest, match=r"Character '\.' is reserved"):
        await bot.send_message(anna.id, "Done.", parse_mode="MarkdownV2")
    sent = await bot.send_message(anna.id, "*Done*\\.", parse_mode="MarkdownV2")
    assert sent.text == "Done."
    assert anna.last.html == "<b>Done</b>."


async def test_unknown_and_blocked_chats(server: SandboxServer, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(999, "hello")
    mikko = server.user(2001, "Mikko")
    with pytest.raises(TelegramForbiddenError, match="can't initiate conversation"):
        await bot.send_message(mikko.id, "hello")
    await mikko.send("/start")
    mikko.block()
    with pytest.raises(TelegramForbiddenError) as caught:
        await bot.send_message(mikko.id, "hello")
    assert caught.value.message == "Forbidden: bot was blocked by the user"
    mikko.unblock()
    await bot.send_message(mikko.id, "welcome back")
    assert mikko.last.text == "welcome back"
    updates = await bot.get_updates()
    kinds = [u.event_type for u in updates]
    assert kinds == ["message", "my_chat_member", "my_chat_member"]


async def test_document_round_trip(server: SandboxServer, bot: Bot) -> None:
    anna = server.user(1001, "Anna")
    await anna.send("hi")
    content = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    sent = await bot.send_document(
        anna.id,
        BufferedInputFile(content, filename="booking.ics"),
        caption="<i>Your booking</i>",
        parse_mode="HTML",
    )
    assert sent.document is not None
    assert sent.document.file_name == "booking.ics"
    assert sent.document.mime_type == "text/calendar"
    assert sent.document.file_size == len(content)
    assert sent.caption == "Your booking"
    document = anna.last.document
    assert document is not None and document.content == content
    again = await bot.send_document(anna.id, sent.document.file_id)
    assert again.document is not None and again.document.file_id == sent.document.file_id
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_document(anna.id, "no-such-file")


async def test_photo_sizes(server: SandboxServer, bot: Bot) -> None:
    anna = server.user(1001, "Anna")
    await anna.send("hi")
    sent = await bot.send_photo(anna.id, BufferedInputFile(PNG_HEADER, filename="p.png"))
    assert sent.photo is not None
    assert (sent.photo[-1].width, sent.photo[-1].height) == (2, 3)
    photo = anna.last.photo
    assert photo is not None and photo.content == PNG_HEADER


async def test_bot_commands_per_scope_and_language(server: SandboxServer, bot: Bot) -> None:
    from aiogram.types import BotCommand, BotCommandScopeChat

    await bot.set_my_commands([BotCommand(command="start", description="Start")])
    await bot.set_my_commands(
        [BotCommand(command="start", description="Aloita")], language_code="fi"
    )
    await bot.set_my_commands(
        [BotCommand(command="admin", description="Admin")], scope=BotCommandScopeChat(chat_id=7)
    )
    assert server.bot_commands[("default", "fi")] == [{"command": "start", "description": "Aloita"}]
    assert set(server.bot_commands) == {("default", ""), ("default", "fi"), ("chat:7", "")}
    fi = await bot.get_my_commands(language_code="fi")
    assert [c.description for c in fi] == ["Aloita"]
    await bot.delete_my_commands(language_code="fi")
    assert await bot.get_my_commands(language_code="fi") == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad Command", description="x")])


async def test_callback_answers(server: SandboxServer, bot: Bot) -> None:
    anna = server.user(1001, "Anna")
    await anna.send("hi")
    await bot.send_message(anna.id, "Pick", reply_markup=keyboard([("A", "a")]))
    query_id = await anna.press(1)
    assert await bot.answer_callback_query(query_id, text="Saved", show_alert=True)
    answer = anna.answer_for(query_id)
    assert answer is not None and (answer.text, answer.show_alert) == ("Saved", True)
    assert [t.text for t in anna.toasts] == ["Saved"]
    with pytest.raises(TelegramBadRequest, match="query is too old and response timeout"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(TelegramBadRequest, match="query ID is invalid"):
        await bot.answer_callback_query("42")


async def test_callback_answers_over_200_characters_are_refused(
    server: SandboxServer, bot: Bot
) -> None:
    """As Telegram does: an alert or toast holds at most 200 characters."""
    anna = server.user(1001, "Anna")
    await anna.send("hi")
    await bot.send_message(anna.id, "Pick", reply_markup=keyboard([("A", "a")]))
    query_id = await anna.press(1)
    with pytest.raises(TelegramBadRequest, match="MESSAGE_TOO_LONG"):
        await bot.answer_callback_query(query_id, text="x" * 201, show_alert=True)
    assert await bot.answer_callback_query(query_id, text="x" * 200, show_alert=True)
