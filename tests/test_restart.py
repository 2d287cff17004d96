"""A conversation survives a restart of the bot on the same database (or Redis)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.fsm.state import State, StatesGroup

from bot.app import create_dispatcher, open_runtime
from bot.sandbox.recording import ChatClient
from bot.settings import Settings
from tests.conftest import FakeClock


class Booking(StatesGroup):
    choose_day = State()


async def test_a_user_in_a_flow_continues_after_a_restart(settings: Settings, bot: Bot) -> None:
    runtime = await open_runtime(settings)
    dispatcher = create_dispatcher(runtime, clock=FakeClock())
    anna = ChatClient(dispatcher, bot, 1001)
    await anna.send("/start")
    await anna.click("English")
    context = dispatcher.fsm.get_context(bot, chat_id=1001, user_id=1001)
    await context.set_state(Booking.choose_day)
    await context.update_data(location="lappeenranta")
    await runtime.close()

    runtime = await open_runtime(settings)
    try:
        restarted = create_dispatcher(runtime, clock=FakeClock())
        anna = ChatClient(restarted, bot, 1001)
        await anna.send("tomorrow please")
        assert anna.last.text == (
            "Please use the buttons above, or send /cancel to stop and return to the menu."
        )
        context = restarted.fsm.get_context(bot, chat_id=1001, user_id=1001)
        assert await context.get_state() == Booking.choose_day.state
        assert await context.get_data() == {"location": "lappeenranta"}
        await anna.send("/cancel")
        assert anna.last.text == "Cancelled. What would you like to do?"
        assert await context.get_state() is None
    finally:
        await runtime.close()
