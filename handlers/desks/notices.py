"""Messages the bot sends on its own about desks: offers from the waitlist, expired offers,
closed days. Each goes out in its recipient's language; used by handlers and the scheduler."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.desks import keyboards as kb
from handlers.desks.texts import booking_lines, day_long, html, local_clock, slot_lines
from storage.desks import DeskBooking
from storage.desks.closures import DayClosed
from storage.desks.opening import Period, Place
from storage.desks.places import Places
from storage.engine import SessionFactory, after_commit, unit_of_work
from storage.users import get_person, mark_blocked

log = logging.getLogger(__name__)


async def offer_desks(
    bot: Bot, i18n: I18n, session: AsyncSession, places: Places, offers: Iterable[DeskBooking]
) -> None:
    for booking in offers:
        place = places.get(booking.location_id)
        if place is None or booking.hold_expires_at is None:
            continue
        with i18n.use_locale(await _locale(session, i18n, booking.user_id)):
            text = _(
                "🎉 <b>A desk has freed up for you!</b>\n\n{details}\n\n"
                "It is held for you until {time} local time. Will you take it?"
            ).format(
                details=booking_lines(place, booking),
                time=local_clock(place, booking.hold_expires_at),
            )
            markup = kb.offer_keyboard(booking.id)
        await _send(bot, session, booking.user_id, text, markup)


async def offers_expired(
    bot: Bot, i18n: I18n, session: AsyncSession, places: Places, expired: Iterable[DeskBooking]
) -> None:
    for booking in expired:
        place = places.get(booking.location_id)
        if place is None:
            continue
        with i18n.use_locale(await _locale(session, i18n, booking.user_id)):
            text = _(
                "The desk offered to you was not taken in time, so it went to the next person "
                "in line:\n\n{slot}"
            ).format(slot=slot_lines(place, booking.day, Period(booking.period)))
            markup = kb.book_again_keyboard()
        await _send(bot, session, booking.user_id, text, markup)


async def day_closed(
    bot: Bot, i18n: I18n, session: AsyncSession, place: Place, closed: DayClosed, reason: str
) -> int:
    """Tell everyone booked or waiting on a day that was closed; how many were told."""
    told = 0
    for booking in closed.cancelled:
        with i18n.use_locale(await _locale(session, i18n, booking.user_id)):
            text = _(
                "⚠️ <b>{place} is closed on {day}</b>{reason}\n\n"
                "Your booking is cancelled:\n{details}\n\n"
                "We are sorry for the trouble. You are welcome to book another day."
            ).format(
                place=html(place.name(i18n.current_locale)),
                day=day_long(booking.day),
                reason=f": {reason}" if reason else ".",
                details=booking_lines(place, booking),
            )
            markup = kb.book_again_keyboard()
        told += await _send(bot, session, booking.user_id, text, markup)
    for entry in closed.dropped:
        with i18n.use_locale(await _locale(session, i18n, entry.user_id)):
            text = _(
                "⚠️ <b>{place} is closed on {day}</b>{reason}\n\n"
                "You were on the waitlist for that day; the waitlist is now cleared."
            ).format(
                place=html(place.name(i18n.current_locale)),
                day=day_long(entry.day),
                reason=f": {reason}" if reason else ".",
            )
            markup = kb.book_again_keyboard()
        told += await _send(bot, session, entry.user_id, text, markup)
    return told


def after_commit_send(
    session: AsyncSession,
    factory: SessionFactory,
    i18n: I18n,
    send: Callable[[AsyncSession], Awaitable[object]],
) -> None:
    """Send once the update's change is committed, in a unit of work of its own (recipients'
    languages, people who blocked the bot), with the translations at hand."""

    async def deliver() -> None:
        async with unit_of_work(factory) as own:
            with i18n.context():
                await send(own)

    after_commit(session, deliver)


async def _locale(session: AsyncSession, i18n: I18n, user_id: int) -> str:
    person = await get_person(session, user_id)
    return (person and person.locale) or i18n.default_locale


async def _send(
    bot: Bot, session: AsyncSession, user_id: int, text: str, markup: InlineKeyboardMarkup
) -> bool:
    try:
        await bot.send_message(user_id, text, reply_markup=markup)
    except TelegramForbiddenError:
        await mark_blocked(session, user_id)
        return False
    except TelegramBadRequest as exc:
        log.warning("could not tell user %s about their desk: %s", user_id, exc)
        return False
    return True
