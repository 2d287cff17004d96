"""The desk job: an offer nobody answered in time goes to the next person in line, once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from aiogram import Bot

from bot.app import Runtime
from bot.sandbox.recording import RecordingSession
from scheduler.delivery import Delivery
from scheduler.desks import expire_desk_offers
from scheduler.messages import renderers
from storage import desks
from storage.desks import waitlist
from storage.desks.opening import Period
from storage.engine import unit_of_work
from storage.users import Profile, set_locale, touch

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # Tuesday, 08:00 in Lappeenranta
DAY = date(2026, 12, 2)
FIRST, SECOND = 501, 502  # in line, in this order
BOOKERS = range(600, 608)  # the 8 desks of Lappeenranta


async def test_an_unanswered_offer_passes_to_the_next_in_line_and_both_are_told(
    runtime: Runtime,
) -> None:
    place = next(p for p in runtime.places.all if p.key == "lpr")
    async with unit_of_work(runtime.factory) as session:
        for user_id in (FIRST, SECOND, *BOOKERS):
            await touch(session, Profile(user_id, f"P{user_id}", None, None), is_admin=False)
        await set_locale(session, SECOND, "fi")
        booked = [
            await desks.book(session, place, user_id, DAY, Period.MORNING, NOW)
            for user_id in BOOKERS
        ]
        for user_id in (FIRST, SECOND):
            await waitlist.join(session, place, user_id, DAY, Period.MORNING, NOW)
    async with unit_of_work(runtime.factory) as session:
        await desks.cancel(session, booked[0].id, BOOKERS[0], NOW)
        [offer] = await waitlist.refill(session, place, DAY, NOW)
    assert offer.user_id == FIRST

    session_log = RecordingSession()
    bot = Bot("42:TEST", session=session_log)
    later = NOW + timedelta(hours=2, minutes=1)
    kinds = renderers(runtime.places, runtime.library)
    delivery = Delivery(runtime.factory, bot, runtime.i18n, kinds, rate=0, clock=lambda: later)
    assert await expire_desk_offers(runtime.factory, runtime.places, lambda: later)
    assert await delivery.deliver_due() == 2  # the job wrote both messages; the engine sends

    [expired] = session_log.chat(FIRST).messages.values()
    assert (expired.text or "").startswith("The desk offered to you was not taken in time")
    [offered] = session_log.chat(SECOND).messages.values()
    assert offered.reply_markup is not None  # in Finnish: the person's own language
    labels = [b.text for row in offered.reply_markup.inline_keyboard for b in row]
    assert labels == ["✅ Otan sen", "Ei kiitos"]
    assert "Lappeenranta" in (offered.text or "")
    async with unit_of_work(runtime.factory) as session:
        [held] = await desks.upcoming(session, SECOND, later)
    assert held.status == "held" and held.desk_id == offer.desk_id

    # Run again, as a second instance or the next minute would: nothing is due, nobody is told.
    assert not await expire_desk_offers(runtime.factory, runtime.places, lambda: later)
    assert await delivery.deliver_due() == 0
    assert len(session_log.chat(FIRST).messages) == len(session_log.chat(SECOND).messages) == 1
