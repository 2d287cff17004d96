"""`/stats` for admins, in a private chat: one message with the programme's figures (people,
desk occupancy this week and next, coaching, events, questions) and a chart of the last eight
weeks' bookings and questions.

Numbers and dates are written by Babel in the admin's language; the chart's texts are
translated here, before it is drawn in a worker thread.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from babel import Locale, UnknownLocaleError
from babel.dates import format_skeleton
from babel.numbers import format_decimal, format_percent
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.admin.charts import ChartTexts, render
from handlers.desks.texts import format_locale, html, locale
from handlers.ui.filters import staff_router
from storage import stats
from storage.base import WallClock
from storage.coaching.tables import Status
from storage.desks.opening import Place
from storage.desks.places import Places

WINDOW = timedelta(days=30)
CHART_WEEKS = 8
TOP_UNANSWERED = 5
QUOTED = 100  # how much of a long question the top list shows


def number(value: float) -> str:
    return format_decimal(value, locale=format_locale())


def share(value: float | None) -> str:
    return "—" if value is None else format_percent(value, locale=format_locale())


def language_name(code: str | None) -> str:
    if code is None:
        return _("not chosen")
    try:
        return Locale.parse(code).get_display_name(locale()) or code
    except (ValueError, UnknownLocaleError):
        return code


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


async def _desks(session: AsyncSession, place: Place, now: datetime) -> str:
    monday = _monday(place.today(now))
    this = await stats.occupancy(session, place, monday, monday + timedelta(days=6))
    following = await stats.occupancy(
        session, place, monday + timedelta(days=7), monday + timedelta(days=13)
    )
    return _(
        "{place}: this week {booked} of {available} ({share}), "
        "next week {next_booked} of {next_available} ({next_share})"
    ).format(
        place=html(place.name(locale())),
        booked=number(this.booked),
        available=number(this.available),
        share=share(this.share),
        next_booked=number(following.booked),
        next_available=number(following.available),
        next_share=share(following.share),
    )


async def figures_text(session: AsyncSession, places: Places, now: datetime) -> str:
    since = now - WINDOW
    people = await stats.people(session, now)
    lines = [
        _("📊 <b>Statistics</b>, {day}").format(
            day=format_skeleton("yMMMd", now.date(), locale=format_locale())
        ),
        "",
        _("<b>People</b>"),
        _(
            "In all: {total} · active in 7 days: {week} · in 30 days: {month} · "
            "unreachable (blocked the bot or never started it): {blocked}"
        ).format(
            total=number(people.total),
            week=number(people.active_week),
            month=number(people.active_month),
            blocked=number(people.blocked),
        ),
        _("Languages: {languages}").format(
            languages=", ".join(
                f"{language_name(code)} {number(count)}" for code, count in people.languages
            )
            or "—"
        ),
        "",
        _("<b>Desks</b>: half-days booked of those open"),
    ]
    lines += [await _desks(session, place, now) for place in places.all]
    lines += ["", _("<b>Coaching</b>, requests of the last 30 days")]
    lines += _coaching(await stats.coaching(session, since, now))
    found = await stats.events(session, since, now)
    lines += [
        "",
        _("<b>Events</b>, the last 30 days"),
        _(
            "Registrations: {registrations} · events held: {held}, registered for them: "
            "{seated}, came: {attended} ({share})"
        ).format(
            registrations=number(found.registrations),
            held=number(found.held),
            seated=number(found.seated),
            attended=number(found.attended),
            share=share(found.attended / found.seated if found.seated else None),
        ),
        "",
        _("<b>Questions</b>, the last 30 days"),
        *await _questions(session, since, now),
    ]
    return "\n".join(lines)


def _coaching(found: stats.Coaching) -> list[str]:
    lines = [
        _(
            "Requested: {requested} · confirmed: {confirmed} · declined: {declined} · "
            "expired: {expired} · cancelled: {cancelled}"
        ).format(
            requested=number(found.requested),
            confirmed=number(found.of(Status.CONFIRMED)),
            declined=number(found.of(Status.DECLINED)),
            expired=number(found.of(Status.EXPIRED)),
            cancelled=number(found.of(Status.CANCELLED)),
        )
    ]
    if found.average is None:
        lines.append(_("No ratings of the sessions held in these days."))
    else:
        lines.append(
            ngettext(
                "Average rating: {average} of 5 ({count} rating)",
                "Average rating: {average} of 5 ({count} ratings)",
                found.ratings,
            ).format(
                average=format_decimal(found.average, format="0.0", locale=format_locale()),
                count=number(found.ratings),
            )
        )
    return lines


async def _questions(session: AsyncSession, since: datetime, now: datetime) -> list[str]:
    found = await stats.faq(session, since, now)
    lines = [
        _("Asked: {asked} · answered: {answered} · suggested: {suggested} · unknown: {unknown}")
        .format(
            asked=number(found.asked),
            answered=share(found.share("answered")),
            suggested=share(found.share("suggested")),
            unknown=share(found.share("unknown")),
        ),
        _("Votes: 👍 {up} · 👎 {down}").format(
            up=number(found.helpful), down=number(found.unhelpful)
        ),
    ]  # fmt: skip
    texts = await stats.unanswered(session, since, now)
    top = await asyncio.to_thread(stats.group_similar, texts, top=TOP_UNANSWERED)
    if not top:
        lines.append(_("No unanswered questions."))
        return lines
    lines.append(_("Asked most often without an answer:"))
    for rank, (text, count) in enumerate(top, start=1):
        quoted = text if len(text) <= QUOTED else text[: QUOTED - 1].rstrip() + "…"
        lines.append(f"{rank}. {html(quoted)} — {number(count)}")
    return lines


def chart_texts(first: date, days: int) -> ChartTexts:
    """Every text on the chart, in the admin's language (resolved here, not in the thread)."""
    language = format_locale()
    mondays = [first + timedelta(days=7 * n) for n in range((days + 6) // 7)]
    label = [format_skeleton("MMMd", day, locale=language) for day in mondays]
    return ChartTexts(
        bookings_title=_("Bookings per day, by the day they were made (UTC)"),
        series=(_("Desk bookings"), _("Coaching requests"), _("Event registrations")),
        faq_title=_("Questions per week"),
        outcomes={
            "answered": _("Answered"),
            "suggested": _("Suggested"),
            "unknown": _("Unknown"),
        },
        day_ticks=[(7 * n, text) for n, text in enumerate(label)],
        weeks=label,
    )


async def show_stats(
    message: Message, session: AsyncSession, places: Places, wall_clock: WallClock, bot: Bot
) -> None:
    now = wall_clock()
    await message.answer(await figures_text(session, places, now))
    today = now.date()
    first = _monday(today) - timedelta(weeks=CHART_WEEKS - 1)
    days = (today - first).days + 1
    activity = await stats.activity(session, first, days)
    png = await asyncio.to_thread(render, activity, chart_texts(first, days))
    await bot.send_photo(message.chat.id, BufferedInputFile(png, filename="stats.png"))


def create_router() -> Router:
    router = staff_router(__name__)
    router.message.register(show_stats, Command("stats"))
    return router
