"""Conversations: one router per feature, in the order they are tried."""

from aiogram import Router


def get_routers() -> list[Router]:
    """Every router, fallbacks last (a fresh set each call, so each dispatcher owns its own)."""
    from handlers import fallback, menu, start

    return [start.create_router(), menu.create_router(), fallback.create_router()]
