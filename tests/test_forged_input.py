"""Hostile callback data and forged updates get the stale-button answer, never a traceback:
numbers past what the databases or `date` hold, staff buttons pressed by anyone, a button of
someone else's chat; and alerts longer than Telegram allows are cut, not failed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

import pytest
from aiogram import Bot
from aiogram.types import CallbackQuery, User

from bot.app import Runtime
from bot.outgoing import MAX_ALERT
from bot.sandbox.recording import ChatClient, RecordingSession
from handlers.desks.callbacks import DeskAction, DeskCB
from handlers.ui.callbacks import LanguageCB, Locale, MenuAction, MenuCB
from handlers.ui.filters import pressed
from storage.base import utcnow
from storage.desks import closures
from storage.engine import unit_of_work

Person = Callable[..., ChatClient]
STALE = "This button is no longer valid. Please send /start to open the menu again."
ADMIN = 3001
BIG = (2**31, 2**63, 10**30)

FORGED = [
    *(f"bk:{action}:{n}" for action in "cyiadq" for n in BIG),
    *(f"dk:d:{n}:739000:am:0:0" for n in BIG),
    *(f"dk:ok:1:{day}:am:0:0" for day in (10**7, 10**12, 2**63)),
    *(f"dk:ok:1:739000:am:{n}:{n}" for n in BIG),
    *(f"st:{action}:1:{day}" for action in "cyr" for day in (10**7, 2**63)),
    *(f"st:{action}:{n}:739000" for action in "cyr" for n in BIG),
    *(f"faq:{action}:{n}::0" for action in "pudhrf" for n in BIG),
    *(f"faq:c:0:oasis:{n}" for n in (10**5, 2**63)),
    "dk:d:-1:739000::0:0",
    "bk:c:-5",
]


@pytest.mark.parametrize("role", ["entrepreneur", "admin"])
async def test_numbers_out_of_range_are_stale_buttons_not_tracebacks(
    runtime: Runtime, person: Person, caplog: pytest.LogCaptureFixture, role: str
) -> None:
    client = person(ADMIN if role == "admin" else 1001)
    await client.send("/start")
    caplog.set_level(logging.ERROR)
    for data in FORGED:
        await client.press_data(data)
        assert client.toasts[-1] == STALE, data
    assert runtime.metrics.errors_total == 0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_button_on_someone_elses_message_answers_in_the_pressers_chat(
    person: Person, bot: Bot
) -> None:
    anna, boris = person(1001, first_name="Anna"), person(1002, first_name="Boris")
    await boris.send("/start")
    await boris.press_data(LanguageCB(locale=Locale.EN).pack())
    before = [(m.message_id, m.text) for m in boris.messages]
    await anna.send("/start")
    # A forged update: Anna presses "Settings" on Boris's message, in Boris's chat.
    await anna.press_data(MenuCB(action=MenuAction.SETTINGS).pack(), boris.last)
    assert [(m.message_id, m.text) for m in boris.messages] == before
    assert anna.last.text == "<b>Settings</b>"
    session = bot.session
    assert isinstance(session, RecordingSession)
    assert all(int(getattr(call, "chat_id", anna.user.id) or 0) != boris.user.id
               for call in session.calls[-3:])  # fmt: skip


async def test_a_long_closure_reason_is_cut_to_fit_an_alert(
    runtime: Runtime, person: Person
) -> None:
    lpr = next(p for p in runtime.places.all if p.key == "lpr")
    now = utcnow()
    day = next(d for d in lpr.bookable_days(now) if d > lpr.today(now) and not lpr.closure(d))
    reason = "The building is closed for maintenance of the ventilation. " * 9  # ~530 chars
    async with unit_of_work(runtime.factory) as session:
        await closures.close_day(session, lpr, day, reason, ADMIN, now - timedelta(seconds=1))
    anna = person(1001)
    await anna.send("/start")
    await anna.press_data(DeskCB(action=DeskAction.CLOSED, loc=lpr.id, day=day.toordinal()).pack())
    alert = anna.toasts[-1]
    assert alert is not None and len(alert) <= MAX_ALERT
    assert alert.endswith("…") and "ventilation" in alert


@pytest.mark.parametrize(
    ("data", "matches"),
    [
        ("dk:d:1:739000:am:0:0", True),
        ("dk:d:1:739000:am:0", False),  # a field short
        ("dk:d:1:739000:am:0:0:9", False),  # a field too many
        ("dk:d:-1:739000:am:0:0", False),  # out of range
        ("dk:ok:1:739000:am:0:0", False),  # another action
        ("dk:dd:1:739000:am:0:0", False),  # an action that starts like it
        ("dkx:d:1:739000:am:0:0", False),  # a prefix that starts like it
        ("bk:d:1", False),
        ("", False),
    ],
)
async def test_a_button_filter_matches_exactly_its_own_valid_presses(
    data: str, matches: bool
) -> None:
    query = CallbackQuery(
        id="1", from_user=User(id=1, is_bot=False, first_name="A"), chat_instance="c", data=data
    )
    found = await pressed(DeskCB, DeskAction.DAY)(query)
    assert bool(found) is matches
    if matches:
        assert found == {"callback_data": DeskCB.unpack(data)}
    for menu, expected in (("m:settings", True), ("m:settingsx", False), ("m:home", True)):
        query = query.model_copy(update={"data": menu})
        assert bool(await pressed(MenuCB, MenuAction.SETTINGS, MenuAction.HOME)(query)) is expected
    with pytest.raises(TypeError):
        pressed(LanguageCB, Locale.EN)  # its first field is not an action
