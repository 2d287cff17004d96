"""The coaching jobs: requests and proposals nobody answered in time expire (the time is given
back and the entrepreneur is told, with the coach's other times), and changes of time the coach
did not answer lapse (the original time stands, and both sides are told)."""

from __future__ import annotations

import logging
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from handlers.coaching import notices
from storage import coaching
from storage.base import WallClock, utcnow
from storage.engine import SessionFactory, unit_of_work

log = logging.getLogger(__name__)
CHECK_EVERY_SECONDS = 60


async def expire_coaching(factory: SessionFactory, wall_clock: WallClock = utcnow) -> int:
    """Expire what waited too long; how many requests, proposals and moves ended.

    The database says what is due and each is claimed with a conditional UPDATE, so a restart
    loses nothing and two instances never expire one twice; the people concerned are told
    through the outbox, in the same transaction."""
    now = wall_clock()
    async with unit_of_work(factory) as session:
        expired = await coaching.expire_due(session, now)
        for booked in expired:
            await notices.forget(session, booked)
            notices.tell_user(session, booked, "expired", now)
        lapsed = await coaching.moves_lapsed(session, now)
        for booked, _asked in lapsed:
            notices.tell_user(session, booked, "lapsed", now)
            notices.tell_coach(session, booked, "lapsed", now)
    if expired or lapsed:
        log.info(
            "%d coaching requests expired, %d changes of time lapsed", len(expired), len(lapsed)
        )
    return len(expired) + len(lapsed)


def add_coaching_jobs(scheduler: AsyncIOScheduler, factory: SessionFactory) -> None:
    scheduler.add_job(
        expire_coaching,
        IntervalTrigger(seconds=CHECK_EVERY_SECONDS, timezone=UTC),
        args=[factory],
        id=expire_coaching.__name__,
        replace_existing=True,
    )
