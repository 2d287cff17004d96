"""The terminal chat, scripted and interactive, against a small scripted bot."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram import Bot
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)

from bot.sandbox import SandboxServer, SandboxUser, TerminalChat
from tests.sandbox.conftest import polling

MENU = InlineKeyboardMarkup(
    inline_keyboard=[
        [
            InlineKeyboardButton(text="Book desk", callback_data="book"),
            InlineKeyboardButton(text="Help", callback_data="help"),
        ],
        [InlineKeyboardButton(text="Site", url="https://example.org")],
    ]
)
CANCEL = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="Cancel", callback_data="cancel")]]
)
COACH_ID = 2001


async def concierge(bot: Bot, update: Update) -> None:
    message = update.message
    if message is not None and message.text:
        chat = message.chat.id
        if message.text == "/start":
            await bot.send_message(chat, "Welcome!\nChoose:", reply_markup=MENU)
        elif message.text == "/broken":
            await bot.send_message(chat, "x" * 5000)
        elif message.text == "/notify":
            await bot.send_message(COACH_ID, "New booking from Anna")
            await bot.send_message(chat, "Sent")
        else:
            await bot.send_message(chat, f"echo: {message.text}")
    query = update.callback_query
    if query is not None and isinstance(query.message, Message):
        chat, message_id = query.message.chat.id, query.message.message_id
        if query.data == "book":
            await bot.answer_callback_query(query.id, text="Booked")
            await bot.edit_message_text(
                text="Desk booked", chat_id=chat, message_id=message_id, reply_markup=CANCEL
            )
            ics = BufferedInputFile(b"BEGIN:VCALENDAR", filename="booking.ics")
            await bot.send_document(chat, ics, caption="Your booking")
        else:
            await bot.answer_callback_query(query.id)
            await bot.send_message(chat, "Help text")


@pytest.fixture
def personas(server: SandboxServer) -> dict[str, SandboxUser]:
    return {
        "entrepreneur": server.user(1001, "Anna"),
        "coach": server.user(COACH_ID, "Mikko"),
    }


@pytest.fixture
async def running(server: SandboxServer, bot: Bot) -> AsyncIterator[None]:
    async with polling(bot, concierge):
        yield


async def test_script_transcript(
    server: SandboxServer, personas: dict[str, SandboxUser], running: None
) -> None:
    out, err = io.StringIO(), io.StringIO()
    chat = TerminalChat(server, personas, out=out, err=err)
    script = """
        # booking flow
        /start
        press "book"

        /as coach
        hello
        /as entrepreneur
        /notify
    """
    code = await chat.run_script(script.splitlines())
    assert err.getvalue() == ""
    assert code == 0
    assert out.getvalue() == (
        "# booking flow\n"
        "you: /start\n"
        "bot: Welcome!\n"
        "     Choose:\n"
        "     [1] Book desk  [2] Help\n"
        "     [3] Site <https://example.org>\n"
        "you: [pressed] Book desk\n"
        "bot (edited): Desk booked\n"
        "     [1] Cancel\n"
        "bot: [document] booking.ics\n"
        "     Your booking\n"
        "bot (toast): Booked\n"
        "-- now chatting as coach (Mikko)\n"
        "you: hello\n"
        "bot: echo: hello\n"
        "-- now chatting as entrepreneur (Anna)\n"
        "you: /notify\n"
        "bot: Sent\n"
        "bot -> coach: New booking from Anna\n"
    )


async def test_script_stops_on_a_missing_button(
    server: SandboxServer, personas: dict[str, SandboxUser], running: None
) -> None:
    out, err = io.StringIO(), io.StringIO()
    chat = TerminalChat(server, personas, out=out, err=err)
    code = await chat.run_script(["/start", "press 9", "never sent"])
    assert code == 1
    assert "no button 9" in err.getvalue()
    assert "never sent" not in out.getvalue()


async def test_script_fails_on_bot_errors(
    server: SandboxServer, personas: dict[str, SandboxUser], running: None
) -> None:
    out, err = io.StringIO(), io.StringIO()
    chat = TerminalChat(server, personas, out=out, err=err)
    code = await chat.run_script(["/broken", "still runs"])
    assert code == 1
    assert "sendMessage -> 400 Bad Request: message is too long" in err.getvalue()
    assert "bot: echo: still runs" in out.getvalue()


async def test_script_fails_on_unknown_persona_and_timeout(
    server: SandboxServer, personas: dict[str, SandboxUser]
) -> None:
    err = io.StringIO()
    chat = TerminalChat(server, personas, out=io.StringIO(), err=err, idle_timeout=0.05)
    assert await chat.run_script(["/as ghost"]) == 1
    assert "unknown persona 'ghost'" in err.getvalue()
    assert await chat.run_script(["nobody is polling"]) == 1
    assert "sandbox not idle" in err.getvalue()


async def test_interactive_session(
    server: SandboxServer,
    personas: dict[str, SandboxUser],
    running: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    typed = iter(["/start", "[2]", "5", "[1]", "/start", "1", "/as coach", "/help", "/?", "hi"])

    def fake_input(prompt: str = "") -> str:
        try:
            return next(typed)
        except StopIteration:
            raise EOFError from None

    monkeypatch.setattr("builtins.input", fake_input)
    out = io.StringIO()
    chat = TerminalChat(server, personas, out=out, err=io.StringIO())
    assert await chat.run_interactive() == 0
    lines = out.getvalue().splitlines()
    banner = (
        "Type a message, [N] to press button N of the latest buttons, [M.N] for button N of "
        "message #M, /as entrepreneur|coach, /? for this line, /quit"
    )
    assert lines[0] == banner
    assert "you: /help" in lines, "/help goes to the bot"
    assert lines.count(banner) == 2
    assert "you: [pressed] Help" in lines
    assert "bot: echo: 5" in lines, "a bare number after a message without buttons is text"
    assert lines.count("you: [pressed] Book desk") == 2, "[1], and a bare 1 under the menu"
    assert "bot: Help text" in lines
    assert "-- now chatting as coach (Mikko)" in lines
    assert lines[-1] == "bot: echo: hi"


async def test_an_earlier_message_is_pressed_by_its_number_and_files_are_saved(
    server: SandboxServer, personas: dict[str, SandboxUser], running: None, tmp_path: Path
) -> None:
    out = io.StringIO()
    chat = TerminalChat(server, personas, out=out, err=io.StringIO(), numbered=True,
                        files=tmp_path)  # fmt: skip
    assert await chat.run_script(["/start", "/start"]) == 0
    first, second = (m.message_id for m in personas["entrepreneur"].messages)
    assert f"bot #{first}: Welcome!" in out.getvalue().splitlines()
    # Button 1 of the first welcome, not of the latest one: that one is edited.
    assert await chat.run_script([f"[{first}.1]"]) == 0
    assert f"bot (edited) #{first}: Desk booked" in out.getvalue().splitlines()
    assert personas["entrepreneur"].messages[1].text.startswith("Welcome!")
    saved = tmp_path / f"{personas['entrepreneur'].messages[-1].message_id}-booking.ics"
    assert f"[document] booking.ics (saved as {saved})" in out.getvalue()
    assert saved.read_bytes() == b"BEGIN:VCALENDAR"
    assert await chat.run_script([f"press 1 of {second}"]) == 0
    assert f"bot (edited) #{second}: Desk booked" in out.getvalue().splitlines()
