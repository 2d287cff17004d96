"""The conversation shell: /start, /help, /language, /cancel, the main menu and settings."""

from __future__ import annotations

from html import escape

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, User
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from handlers.privacy import notice_text
from handlers.ui.callbacks import LanguageCB, MenuAction, MenuCB
from handlers.ui.filters import pressed
from handlers.ui.keyboards import language_picker, main_menu, settings_menu
from handlers.ui.screens import edit_or_send
from storage.users import Directory, Person


def menu_text() -> str:
    return _("What would you like to do?")


async def start(message: Message, person: Person, state: FSMContext, event_from_user: User) -> None:
    await state.clear()
    name = escape(event_from_user.first_name)
    if person.locale is None:
        await message.answer(
            _(
                "Hello, {name}! I am the front desk of OpenINNO, the pre-incubation programme "
                "for emerging entrepreneurs in St. Petersburg and Lappeenranta.\n\n"
                "Please choose your language:"
            ).format(name=name),
            reply_markup=language_picker(),
        )
        return
    await message.answer(
        _("Welcome back, {name}! {menu}").format(name=name, menu=menu_text()),
        reply_markup=main_menu(),
    )


async def help_command(message: Message, person: Person) -> None:
    text = help_text()
    if person.is_admin and message.chat.type == "private":
        text += "\n\n" + staff_help_text()
    await message.answer(text, reply_markup=main_menu())


def help_text() -> str:
    return _(
        "<b>How I can help</b>\n"
        "• <b>Ask a question</b> about the programme, the Business Oasis, coaching and "
        "starting a company.\n"
        "• <b>Book a desk</b> in the Business Oasis in St. Petersburg or Lappeenranta.\n"
        "• <b>Book a coach</b>: request a session with a programme coach in one of their free "
        "times.\n"
        "• <b>Events</b>: register for workshops, courses and meetups, or join the waitlist.\n"
        "• <b>My bookings</b>: see, cancel or move what you have booked.\n\n"
        "Commands: /start main menu, /language change language, "
        "/cancel stop what you are doing, /help this message, /mydata what I store about you, "
        "/forgetme erase it; coaches: /coach their panel."
    )


def staff_help_text() -> str:
    """The staff's commands, shown to admins only."""
    return _(
        "<b>Staff commands</b> (in this private chat only)\n"
        "/broadcast write an announcement · /broadcasts the latest ones\n"
        "/stats statistics and a chart · /export users|bookings|sessions|events|faq FROM TO\n"
        "/admins who the admins are · /audit the latest admin actions\n"
        "/questions questions waiting for an answer · /reload_content reload the knowledge "
        "base\n"
        "/unanswered teach the FAQ the questions it missed\n"
        "/occupancy desks booked today · /export_bookings FROM TO · /close_day · /reopen_day\n"
        "/events_admin write and change events · /event_report N\n"
        "/coaches · /addcoach ID · /coachinvite · /coaching_report FROM TO"
    )


async def language_command(message: Message) -> None:
    await message.answer(_("Please choose your language:"), reply_markup=language_picker())


async def cancel(message: Message, state: FSMContext) -> None:
    if await state.get_state() is None:
        text = _("There is nothing to cancel. {menu}").format(menu=menu_text())
    else:
        await state.clear()
        text = _("Cancelled. {menu}").format(menu=menu_text())
    await message.answer(text, reply_markup=main_menu())


async def choose_language(
    query: CallbackQuery,
    callback_data: LanguageCB,
    session: AsyncSession,
    person: Person,
    directory: Directory,
    i18n: I18n,
    settings: Settings,
) -> None:
    first_choice = person.locale is None
    await directory.set_locale(session, person, callback_data.locale)
    with i18n.use_locale(callback_data.locale):
        if first_choice:  # the privacy notice, once, in the language just chosen
            text = _("Great, I will speak English with you. {menu}").format(menu=menu_text())
            text += "\n\n" + notice_text(settings.retention_days)
        else:
            text = _("Language changed to English. {menu}").format(menu=menu_text())
        await edit_or_send(query, text, main_menu())
        await query.answer()


async def show_menu(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await edit_or_send(query, menu_text(), main_menu())
    await query.answer()


async def show_settings(query: CallbackQuery, i18n: I18n) -> None:
    await edit_or_send(query, _("<b>Settings</b>"), settings_menu(i18n.current_locale))
    await query.answer()


async def pick_language(query: CallbackQuery) -> None:
    await edit_or_send(query, _("Please choose your language:"), language_picker())
    await query.answer()


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(start, CommandStart())
    router.message.register(help_command, Command("help"))
    router.message.register(language_command, Command("language"))
    router.message.register(cancel, Command("cancel"))
    router.callback_query.register(choose_language, pressed(LanguageCB))
    router.callback_query.register(show_menu, pressed(MenuCB, MenuAction.HOME))
    router.callback_query.register(show_settings, pressed(MenuCB, MenuAction.SETTINGS))
    router.callback_query.register(pick_language, pressed(MenuCB, MenuAction.SETTINGS_LANGUAGE))
    return router
