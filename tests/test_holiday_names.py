"""Every public holiday of both countries, this year and the next three, is named in each
language the bot speaks (the `holidays` package knows only some of them in ru and fi)."""

from __future__ import annotations

import re
from datetime import date

import holidays
import pytest

from bot.i18n import create_i18n
from handlers.desks.holidays import holiday_name
from storage.desks.opening import public_holiday

YEARS = range(2026, 2030)
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
LATIN = re.compile("[a-z]", re.IGNORECASE)


def named(country: str, day: date, language: str) -> str:
    i18n = create_i18n("en")
    with i18n.context(), i18n.use_locale(language):
        return holiday_name(public_holiday(country, day, language) or "")


@pytest.mark.parametrize("country", ["RU", "FI"])
@pytest.mark.parametrize("language", ["en", "ru", "fi"])
def test_every_holiday_has_a_name_in_the_users_language(country: str, language: str) -> None:
    days = [day for year in YEARS for day in holidays.country_holidays(country, years=year)]
    assert len(days) > 40
    for day in days:
        english = public_holiday(country, day, "en") or ""
        name = named(country, day, language)
        assert name, (country, day)
        if language == "ru":
            assert CYRILLIC.search(name) and not LATIN.search(name), (day, name)
        elif language == "fi":
            assert not CYRILLIC.search(name) and name != english, (day, name)
        else:
            assert "substituted" not in name and "/" not in name, (day, name)


def test_moved_days_off_and_days_in_lieu_read_naturally() -> None:
    assert named("RU", date(2026, 12, 31), "en") == "Day off (moved from Sunday, 4 January 2026)"
    assert named("RU", date(2026, 3, 9), "fi") == (
        "Kansainvälinen naistenpäivä (siirretty vapaapäivä)"
    )
    assert named("FI", date(2026, 12, 6), "ru") == "День независимости Финляндии"
    assert named("RU", date(2026, 2, 23), "fi") == "Isänmaan puolustajan päivä"
