"""The desk jobs: offers from the waitlist that nobody answered in time go to the next person,
and so do the desks nobody checked in to by the deadline."""

from __future__ import annotations

import logging
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from handlers.desks import notices
from storage.base import WallClock, utcnow
from storage.desks import checkin, waitlist
from storage.desks.places import Places
from storage.engine import SessionFactory, unit_of_work

log = logging.getLogger(__name__)
CHECK_EVERY_SECONDS = 60


async def expire_desk_offers(
    factory: SessionFactory, places: Places, wall_clock: WallClock = utcnow
) -> int:
    """Expire the offers whose window has passed and offer those desks again; how many expired.

    The database says what is due and each offer is claimed with a conditional UPDATE, so a
    restart loses nothing and two instances never expire the same offer twice; the people
    concerned are told through the outbox, in the same transaction.
    """
    now = wall_clock()
    async with unit_of_work(factory) as session:
        expired = await waitlist.expire_offers(session, now)
        offers = await waitlist.refill_after(session, places, expired, now)
        notices.offers_expired(session, expired, now)
        notices.offer_desks(session, offers, now)
    if expired:
        log.info("%d desk offers expired, %d new offers", len(expired), len(offers))
    return len(expired)


async def release_no_shows(
    factory: SessionFactory, places: Places, wall_clock: WallClock = utcnow
) -> int:
    """Free the desks nobody checked in to by the deadline, tell those people, and offer the
    desks to the waitlist (for what is left of the day); how many were freed."""
    now = wall_clock()
    async with unit_of_work(factory) as session:
        gone = await checkin.release_no_shows(session, places, now)
        if gone:
            await notices.forget(session, gone)
            notices.released(session, gone, now)
            offers = await waitlist.refill_after(session, places, gone, now, started=True)
            notices.offer_desks(session, offers, now)
    if gone:
        log.info("%d desks released for want of a check-in", len(gone))
    return len(gone)


def add_desk_jobs(scheduler: AsyncIOScheduler, factory: SessionFactory, places: Places) -> None:
    for job in (expire_desk_offers, release_no_shows):
        scheduler.add_job(
            job,
            IntervalTrigger(seconds=CHECK_EVERY_SECONDS, timezone=UTC),
            args=[factory, places],
            id=job.__name__,
            replace_existing=True,
        )
