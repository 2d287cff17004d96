"""Public holiday names in the user's language.

The `holidays` package names Russian holidays in Russian and English, and Finnish ones in
Finnish and English; the other names come from the catalogs here, keyed by the package's
English name (`storage.desks.opening.public_holiday` falls back to it)."""

from __future__ import annotations

import re
from datetime import datetime

from aiogram.utils.i18n import gettext as _

from handlers.desks.texts import day_long


def __(message: str) -> str:
    """Marks a name for the catalogs; it is translated where it is shown."""
    return message


ENGLISH_NAMES = (
    # Russia
    __("New Year Holidays"), __("Christmas Day"), __("Defender of the Fatherland Day"),
    __("International Women's Day"), __("Holiday of Spring and Labor"), __("Victory Day"),
    __("Russia Day"), __("Unity Day"),
    # Finland
    __("New Year's Day"), __("Epiphany"), __("Good Friday"), __("Easter Sunday"),
    __("Easter Monday"), __("May Day"), __("Ascension Day"), __("Pentecost"),
    __("Midsummer Eve"), __("Midsummer Day"), __("All Saints' Day"), __("Independence Day"),
    __("Christmas Eve"), __("Second Day of Christmas"),
)  # fmt: skip
_OBSERVED = re.compile(r"^(?P<name>.+) \(observed\)$")
_MOVED = re.compile(r"^Day off \(substituted from (?P<day>\d\d/\d\d/\d{4})\)$")


def holiday_name(name: str) -> str:
    """`name` as the package gave it, in the current language."""
    if (moved := _MOVED.match(name)) is not None:
        day = datetime.strptime(moved["day"], "%m/%d/%Y").date()
        return _("Day off (moved from {day})").format(day=day_long(day))
    if (observed := _OBSERVED.match(name)) is not None:
        return _("{holiday} (day off in lieu)").format(holiday=holiday_name(observed["name"]))
    return _(name) if name in ENGLISH_NAMES else name
