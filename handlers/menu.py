"""Main-menu entries whose conversations are not open yet."""

from aiogram import F, Router
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _

from handlers.ui.callbacks import MenuAction, MenuCB

COMING_SOON = (MenuAction.EVENTS,)


async def coming_soon(query: CallbackQuery) -> None:
    await query.answer(_("This part is coming soon. Thank you for your patience!"))


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(coming_soon, MenuCB.filter(F.action.in_(COMING_SOON)))
    return router
