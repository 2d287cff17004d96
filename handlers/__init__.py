"""Conversations: one router per feature, in the order they are tried."""

from aiogram import Router


def get_routers() -> list[Router]:
    """Every router, fallbacks last (a fresh set each call, so each dispatcher owns its own)."""
    from handlers import bookings, fallback, privacy, settings, start
    from handlers.admin import broadcast as admin_broadcast
    from handlers.admin import export as admin_export
    from handlers.admin import roles as admin_roles
    from handlers.admin import sending as admin_sending
    from handlers.admin import stats as admin_stats
    from handlers.coaching import afterwards, answers, editor, panel
    from handlers.coaching import browse as coaching_browse
    from handlers.coaching import sessions as coaching_sessions
    from handlers.coaching import staff as coaching_staff
    from handlers.desks import choice, closures, flow, staff
    from handlers.events import admin as events_admin
    from handlers.events import browse as events_browse
    from handlers.events import staff as events_staff
    from handlers.faq import browse, questions
    from handlers.faq import staff as faq_staff
    from handlers.faq import teach as faq_teach

    return [
        coaching_staff.create_router(),  # first: `/start coach_<token>` before /start
        start.create_router(),
        settings.create_router(),
        privacy.create_router(),  # /mydata, /forgetme: before any flow takes them as text
        faq_staff.create_router(),
        faq_teach.create_router(),
        staff.create_router(),
        events_staff.create_router(),
        events_admin.create_router(),
        admin_broadcast.create_router(),
        admin_sending.create_router(),
        admin_roles.create_router(),
        admin_stats.create_router(),
        admin_export.create_router(),
        closures.create_router(),
        flow.create_router(),
        choice.create_router(),
        coaching_browse.create_router(),
        answers.create_router(),
        coaching_sessions.create_router(),
        panel.create_router(),
        editor.create_router(),
        afterwards.create_router(),
        events_browse.create_router(),
        bookings.create_router(),
        browse.create_router(),
        questions.create_router(),
        fallback.create_router(),
    ]
