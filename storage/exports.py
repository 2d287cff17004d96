"""The rows of the staff's /export that no feature already lists: people, questions, and the
registrations of the events of a date range (desk bookings and coaching sessions come from
their own packages). Ranges are UTC days, both ends included."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.events.tables import Event, EventStatus, Registration
from storage.faq_log import FaqQuestion
from storage.stats import day_start
from storage.users import User


async def users_created(session: AsyncSession, first: date, last: date) -> list[User]:
    """People who first wrote to the bot in the range, in that order."""
    rows = await session.scalars(
        select(User)
        .where(
            User.created_at >= day_start(first),
            User.created_at < day_start(last + timedelta(days=1)),
        )
        .order_by(User.created_at, User.id)
    )
    return list(rows)


async def questions_asked(session: AsyncSession, first: date, last: date) -> list[FaqQuestion]:
    """Everything logged in the range, whatever the outcome (the export says which)."""
    rows = await session.scalars(
        select(FaqQuestion)
        .where(
            FaqQuestion.created_at >= day_start(first),
            FaqQuestion.created_at < day_start(last + timedelta(days=1)),
        )
        .order_by(FaqQuestion.created_at, FaqQuestion.id)
    )
    return list(rows)


async def registrations(
    session: AsyncSession, first: date, last: date
) -> list[tuple[Registration, Event]]:
    """Every registration (any status) of the published events that start in the range, by
    event and place in line."""
    rows = await session.execute(
        select(Registration, Event)
        .join(Event, Event.id == Registration.event_id)
        .where(
            Event.status != EventStatus.DRAFT,
            Event.starts_at >= day_start(first),
            Event.starts_at < day_start(last + timedelta(days=1)),
        )
        .order_by(Event.starts_at, Event.id, Registration.queued_at, Registration.id)
    )
    return [(registration, event) for registration, event in rows]
