"""Conversations: one router per feature, in the order they are tried."""

from aiogram import Router


def get_routers() -> list[Router]:
    """Every router, fallbacks last (a fresh set each call, so each dispatcher owns its own)."""
    from handlers import (
        admin,
        bookings,
        desk_choice,
        desk_closures,
        desk_staff,
        desks,
        fallback,
        faq,
        faq_browse,
        menu,
        start,
    )

    return [
        start.create_router(),
        admin.create_router(),
        desk_staff.create_router(),
        desk_closures.create_router(),
        desks.create_router(),
        desk_choice.create_router(),
        bookings.create_router(),
        faq_browse.create_router(),
        menu.create_router(),
        faq.create_router(),
        fallback.create_router(),
    ]
