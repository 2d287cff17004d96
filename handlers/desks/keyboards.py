"""Keyboards of the desk flow: places, the calendar, periods, desks, a booking's buttons."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.dates import get_day_names

from handlers.desks.callbacks import BookingAction, BookingCB, DeskAction, DeskCB
from handlers.desks.texts import (
    day_short,
    feature_names,
    format_locale,
    locale,
    period_name,
    period_times,
)
from handlers.ui.callbacks import MenuAction, MenuCB
from handlers.ui.keyboards import button, home_button
from storage.desks import DayAvailability
from storage.desks.opening import Desk, Period, Place, Zone

PERIODS = (Period.FULL, Period.MORNING, Period.AFTERNOON)


def places_keyboard(places: Sequence[Place]) -> InlineKeyboardMarkup:
    rows = [
        [button(place.name(locale()), DeskCB(action=DeskAction.CALENDAR, loc=place.id))]
        for place in places
    ]
    return InlineKeyboardMarkup(inline_keyboard=[*rows, [home_button()]])


def calendar_keyboard(
    place: Place, days: Sequence[DayAvailability], *, several_places: bool
) -> InlineKeyboardMarkup:
    """Weeks from Monday to Sunday; closed days (✕) and full days (●) are marked."""
    noop = DeskCB(action=DeskAction.NOOP, loc=place.id)
    names = get_day_names("short", locale=format_locale())
    rows = []
    if (earliest := next((state for state in days if state.bookable), None)) is not None:
        label = _("⚡ Earliest free day: {day}").format(day=day_short(earliest.day))
        target = DeskCB(action=DeskAction.DAY, loc=place.id, day=earliest.day.toordinal())
        rows.append([button(label, target)])
    rows.append([button(names[weekday], noop) for weekday in range(7)])
    by_day = {state.day: state for state in days}
    first = days[0].day - timedelta(days=days[0].day.weekday())
    day = first
    while day <= days[-1].day:
        row = []
        for _weekday in range(7):
            row.append(_day_button(place, by_day.get(day), day, noop))
            day += timedelta(days=1)
        rows.append(row)
    back = [button(_("« Locations"), DeskCB(action=DeskAction.PLACES))] if several_places else []
    rows.append([*back, home_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _day_button(
    place: Place, state: DayAvailability | None, day: date, noop: DeskCB
) -> InlineKeyboardButton:
    if state is None:
        return button(" ", noop)
    number = str(day.day)
    ordinal = day.toordinal()
    if not state.open:
        return button(f"{number}✕", DeskCB(action=DeskAction.CLOSED, loc=place.id, day=ordinal))
    mark = "✓" if state.all_mine else "" if state.bookable else "●"
    return button(number + mark, DeskCB(action=DeskAction.DAY, loc=place.id, day=ordinal))


def periods_keyboard(place: Place, state: DayAvailability) -> InlineKeyboardMarkup:
    """The periods still ahead: free ones to book, full ones to wait for."""
    ordinal = state.day.toordinal()
    rows = []
    for period in PERIODS:
        if period not in state.free or state.held(period):
            continue
        times = period_times(place, state.day, period)
        free = state.free[period]
        if free:
            text = _("{period} {times} · {free} free").format(
                period=period_name(period), times=times, free=free
            )
            action = DeskAction.PERIOD
        else:
            text = _("⏳ {period} {times} · join the waitlist").format(
                period=period_name(period), times=times
            )
            action = DeskAction.WAIT
        rows.append([button(text, DeskCB(action=action, loc=place.id, day=ordinal, period=period))])
    back = DeskCB(action=DeskAction.CALENDAR, loc=place.id)
    rows.append([button(_("« Back"), back), home_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def zones_keyboard(
    place: Place, day: date, period: Period, free: Sequence[Desk]
) -> InlineKeyboardMarkup:
    """Any free desk, or a zone with its number of free desks."""
    base = {"loc": place.id, "day": day.toordinal(), "period": period}
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Any free desk"), callback_data=DeskCB(action=DeskAction.SUMMARY, **base))
    for zone in place.zones:
        count = sum(1 for desk in free if desk.zone_id == zone.id)
        if count:
            builder.button(
                text=_("{zone} · {free} free").format(zone=zone.name(locale()), free=count),
                callback_data=DeskCB(action=DeskAction.ZONE, zone=zone.id, **base),
            )
    builder.adjust(1)
    builder.row(
        button(_("« Back"), DeskCB(action=DeskAction.DAY, loc=place.id, day=day.toordinal())),
        home_button(),
    )
    return builder.as_markup()


def desks_keyboard(
    place: Place, day: date, period: Period, zone: Zone, free: Sequence[Desk]
) -> InlineKeyboardMarkup:
    base = {"loc": place.id, "day": day.toordinal(), "period": period, "zone": zone.id}
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("Any desk in {zone}").format(zone=zone.name(locale())),
        callback_data=DeskCB(action=DeskAction.SUMMARY, **base),
    )
    for desk in free:
        label = ", ".join([desk.label, *feature_names(desk.features)])
        builder.button(
            text=label, callback_data=DeskCB(action=DeskAction.SUMMARY, desk=desk.id, **base)
        )
    builder.adjust(1)
    builder.row(
        button(_("« Back"), DeskCB(action=DeskAction.PERIOD, **{**base, "zone": 0})),
        home_button(),
    )
    return builder.as_markup()


def confirm_keyboard(data: DeskCB) -> InlineKeyboardMarkup:
    """Confirm books exactly what the summary shows; Back returns to the desk choice."""
    confirm = data.model_copy(update={"action": DeskAction.CONFIRM})
    if data.zone:
        back = data.model_copy(update={"action": DeskAction.ZONE, "desk": 0})
    else:
        back = data.model_copy(update={"action": DeskAction.PERIOD, "desk": 0})
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(_("✅ Confirm booking"), confirm)],
            [button(_("« Back"), back), home_button()],
        ]
    )


def booking_keyboard(booking_id: int) -> InlineKeyboardMarkup:
    """Under a confirmed booking: add it to a calendar, cancel it, or go on."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(_("📅 Add to calendar"), BookingCB(action=BookingAction.ICS, id=booking_id)),
                button(
                    _("✖ Cancel booking"), BookingCB(action=BookingAction.CANCEL, id=booking_id)
                ),
            ],
            [button(_("My bookings"), MenuCB(action=MenuAction.BOOKINGS)), home_button()],
        ]
    )


def reminder_keyboard(booking_id: int) -> InlineKeyboardMarkup:
    """Under the evening-before reminder."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(
                    _("✖ Cancel my booking"), BookingCB(action=BookingAction.CANCEL, id=booking_id)
                ),
                button(_("📅 Add to calendar"), BookingCB(action=BookingAction.ICS, id=booking_id)),
            ],
            [button(_("My bookings"), MenuCB(action=MenuAction.BOOKINGS))],
        ]
    )


def check_in_keyboard(booking_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(_("📍 I'm here"), BookingCB(action=BookingAction.CHECK_IN, id=booking_id))],
            [button(_("My bookings"), MenuCB(action=MenuAction.BOOKINGS))],
        ]
    )


def offer_keyboard(booking_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(_("✅ Take it"), BookingCB(action=BookingAction.ACCEPT, id=booking_id)),
                button(_("No, thanks"), BookingCB(action=BookingAction.DECLINE, id=booking_id)),
            ]
        ]
    )


def book_again_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(_("Book a desk"), MenuCB(action=MenuAction.DESK))],
            [home_button()],
        ]
    )


def my_bookings_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(_("My bookings"), MenuCB(action=MenuAction.BOOKINGS)), home_button()]
        ]
    )
