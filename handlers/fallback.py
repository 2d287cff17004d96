"""What nothing else answered: free text, unsupported content, stale or forged buttons."""

from aiogram import Router
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from handlers.ui.filters import has_text
from handlers.ui.keyboards import main_menu
from handlers.ui.screens import refuse_stale


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


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(text_inside_flow, has_text)
    router.message.register(unsupported)
    router.callback_query.register(refuse_stale)
    return router
