"""A coach edits availability and profile in the chat: windows (weekly and one-off), vacation,
the session format, name, bio, topics, languages, where and the meeting link; bad input gets
the rule it breaks and changes nothing; another coach's window cannot be removed."""

# ruff: noqa: F811 - the fixtures of the chat tests, used by name
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from bot.app import Runtime
from handlers.coaching.callbacks import EditAction, EditCB
from storage.coaching.tables import Coach, CoachBlockedDay, CoachWindow
from storage.engine import unit_of_work
from tests.test_coaching_chat import (  # noqa: F401 - fixtures
    COACH,
    OTHER_COACH,
    Join,
    alert,
    coach_dispatcher,
    coach_setup,
    join,
    plain,
    wall,
)


async def windows(
    runtime: Runtime, coach_id: int = COACH
) -> list[tuple[int | None, date | None, int, int]]:
    async with unit_of_work(runtime.factory) as session:
        rows = await session.scalars(select(CoachWindow).where(CoachWindow.coach_id == coach_id))
        return sorted(
            ((r.weekday, r.day, r.start_minute, r.end_minute) for r in rows),
            key=lambda w: (w[0] if w[0] is not None else -1, w[1] or date.min, w[2]),
        )


async def coach_row(runtime: Runtime) -> Coach:
    async with unit_of_work(runtime.factory) as session:
        coach = await session.get(Coach, COACH)
        assert coach is not None
        return coach


@pytest.mark.usefixtures("coach_setup")
async def test_windows_are_added_checked_and_removed(runtime: Runtime, join: Join) -> None:
    tiina = await join(COACH, "Tiina")
    await tiina.send("/coach")
    await tiina.click("Availability")
    assert "Tue 14:00–17:00" in plain(tiina.last.text)
    await tiina.click("Weekly window")
    await tiina.click("Thu")
    await tiina.send("9-12")
    assert plain(tiina.last.text) == "Write the window as 14:00-17:00. Try again, or /cancel."
    await tiina.send("09:00-09:30")
    assert "shorter than one session" in plain(tiina.last.text)
    await tiina.send("09:02-12:00")
    assert "five-minute steps" in plain(tiina.last.text)
    await tiina.send("09:00-12:00")
    assert plain(tiina.last.text).startswith("Saved.")
    await tiina.click("Weekly window")
    await tiina.click("Thu")
    await tiina.send("11:00-13:00")
    assert "overlaps another window" in plain(tiina.last.text)
    await tiina.send("/cancel")
    assert await windows(runtime) == [(1, None, 840, 1020), (3, None, 540, 720)]
    await tiina.send("/coach")
    await tiina.click("Availability")
    await tiina.click("One-off window")
    await tiina.send("2026-12-24 10:00-12:00")  # a public holiday: a window on it opens it
    assert plain(tiina.last.text).startswith("Saved.")
    assert (None, date(2026, 12, 24), 600, 720) in await windows(runtime)
    await tiina.click("Remove Thu")
    assert tiina.toasts[-1] == "Removed."
    assert (3, None, 540, 720) not in await windows(runtime)


@pytest.mark.usefixtures("coach_setup")
async def test_another_coachs_window_cannot_be_removed(runtime: Runtime, join: Join) -> None:
    other = await join(OTHER_COACH, "Olli")
    [(weekday, _day, start, end)] = await windows(runtime, COACH)
    async with unit_of_work(runtime.factory) as session:
        window_id = (
            await session.scalars(select(CoachWindow.id).where(CoachWindow.coach_id == COACH))
        ).one()
    await other.press_data(EditCB(action=EditAction.REMOVE, id=window_id).pack())
    assert other.toasts[-1] == "That window is gone already."
    assert await windows(runtime, COACH) == [(weekday, None, start, end)]
    anna = await join(1001)
    await anna.press_data(EditCB(action=EditAction.REMOVE, id=window_id).pack())
    assert alert(anna) == "Only coaches can do this."


@pytest.mark.usefixtures("coach_setup")
async def test_vacation_and_format(runtime: Runtime, join: Join) -> None:
    tiina = await join(COACH, "Tiina")
    await tiina.send("/coach")
    await tiina.click("Availability")
    await tiina.click("Vacation")
    await tiina.send("2026-11-01")
    assert "from today on" in plain(tiina.last.text)
    await tiina.send("2026-12-07 2026-12-09")
    assert plain(tiina.last.text).startswith("Saved.") and "Vacation:" in plain(tiina.last.text)
    async with unit_of_work(runtime.factory) as session:
        days = list(
            await session.scalars(
                select(CoachBlockedDay.day).where(CoachBlockedDay.coach_id == COACH)
            )
        )
    assert sorted(days) == [date(2026, 12, 7), date(2026, 12, 8), date(2026, 12, 9)]
    await tiina.click("Format")
    await tiina.click("30")
    assert tiina.toasts[-1] == "Saved."
    assert (await coach_row(runtime)).session_minutes == 30
    await tiina.press_data(EditCB(action=EditAction.FORMAT, n=0, id=25).pack())
    assert alert(tiina) == "Please choose one of the buttons."
    assert (await coach_row(runtime)).session_minutes == 30


@pytest.mark.usefixtures("coach_setup")
async def test_the_profile_is_edited_and_checked(runtime: Runtime, join: Join) -> None:
    tiina = await join(COACH, "Tiina")
    await tiina.send("/coach")
    await tiina.click("Profile")
    await tiina.click("Bio")
    await tiina.send("x" * 501)
    assert "up to 500 characters" in plain(tiina.last.text)
    await tiina.send("I help <founders> raise their first round.")
    assert "I help &lt;founders&gt; raise their first round." in (tiina.last.text or "")
    await tiina.click("Meeting link")
    await tiina.send("http://meet.example.org/tiina")
    assert "https://" in plain(tiina.last.text)
    await tiina.send("javascript:alert(1)")
    assert "https://" in plain(tiina.last.text)
    await tiina.send("https://meet.example.org/tiina")
    assert (await coach_row(runtime)).meeting_link == "https://meet.example.org/tiina"
    await tiina.click("Languages")
    for language in ("English", "Suomi"):
        await tiina.click(language)
    assert (await coach_row(runtime)).languages == "ru"
    await tiina.click("Русский")
    assert alert(tiina) == "Keep at least one language."
    await tiina.click("Profile")
    await tiina.click("Topics")
    await tiina.click("Technology")
    assert "technology" in (await coach_row(runtime)).expertise
    await tiina.click("Profile")
    await tiina.click("Where")
    await tiina.click("Lappeenranta")  # off: online only
    assert (await coach_row(runtime)).location_id is None
    await tiina.click("Online")
    assert alert(tiina) == "Meet somewhere: at a location, online, or both."
    assert (await coach_row(runtime)).online
