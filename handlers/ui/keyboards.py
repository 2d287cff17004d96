"""Inline keyboards of the main menu, the settings and the language picker."""

from functools import cache

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from handlers.ui.callbacks import LanguageCB, Locale, MenuAction, MenuCB

# A language is always offered under its own name, whatever the current locale.
LANGUAGE_NAMES = {Locale.EN: "🇬🇧 English", Locale.RU: "🇷🇺 Русский", Locale.FI: "🇫🇮 Suomi"}


def button(text: str, data: CallbackData) -> InlineKeyboardButton:
    """A button that carries typed callback data."""
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def main_menu() -> InlineKeyboardMarkup:
    """The main menu in the current language (built once per language: it never changes)."""
    return _main_menu(get_i18n().current_locale)


@cache
def _main_menu(_locale: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    entries = (
        (MenuAction.ASK, _("Ask a question")),
        (MenuAction.DESK, _("Book a desk")),
        (MenuAction.COACH, _("Book a coach")),
        (MenuAction.EVENTS, _("Events")),
        (MenuAction.BOOKINGS, _("My bookings")),
        (MenuAction.SETTINGS, _("Settings")),
    )
    for action, label in entries:
        builder.button(text=label, callback_data=MenuCB(action=action))
    return builder.adjust(2).as_markup()


def home_button() -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=_("« Main menu"), callback_data=MenuCB(action=MenuAction.HOME).pack()
    )


def home_keyboard() -> InlineKeyboardMarkup:
    """Just « Main menu: under a message that ends a conversation."""
    return InlineKeyboardMarkup(inline_keyboard=[[home_button()]])


@cache
def language_picker() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for locale, name in LANGUAGE_NAMES.items():
        builder.button(text=name, callback_data=LanguageCB(locale=locale))
    return builder.adjust(3).as_markup()


def settings_menu(current: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    language = LANGUAGE_NAMES.get(current, current)  # type: ignore[call-overload]
    builder.button(
        text=_("Language: {language}").format(language=language),
        callback_data=MenuCB(action=MenuAction.SETTINGS_LANGUAGE),
    )
    builder.button(
        text=_("🔔 Reminders"), callback_data=MenuCB(action=MenuAction.SETTINGS_REMINDERS)
    )
    builder.button(text=_("🔒 Privacy"), callback_data=MenuCB(action=MenuAction.SETTINGS_PRIVACY))
    builder.add(home_button())
    return builder.adjust(1).as_markup()
