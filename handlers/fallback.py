"""What nothing else answered: free text, unsupported content, stale or forged buttons."""

from aiogram import Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from handlers.ui.filters import has_text
from handlers.ui.keyboards import main_menu


async def text_inside_flow(message: Message) -> None:
    await message.answer(
        _("Please use the buttons above, or send /cancel to stop and return to the menu.")
    )


async def unsupported(message: Message) -> None:
    await message.answer(
        _(
            "Sorry, I can only read text and button presses. "
            "Please type your message or use the menu."
        ),
        reply_markup=main_menu(),
    )


async def stale_button(query: CallbackQuery) -> None:
    await query.answer(
        _("This button is no longer valid. Please send /start to open the menu again."),
        show_alert=True,
    )


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(text_inside_flow, has_text)
    router.message.register(unsupported)
    router.callback_query.register(stale_button)
    return router
