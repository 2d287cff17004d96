"""The learned phrasings job: several instances share one database, and a phrasing the staff
taught on one of them must reach the others' indexes. Every minute each instance compares
the database's signature of the learned phrasings with the one its index was built from,
and rebuilds only when they differ (a count and an id: one cheap query)."""

from __future__ import annotations

import logging
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from content.library import Library
from storage import teaching
from storage.engine import SessionFactory, unit_of_work

log = logging.getLogger(__name__)
LEARNED_EVERY_SECONDS = 60


async def refresh_learned(factory: SessionFactory, library: Library) -> bool:
    """Merge the learned phrasings into `library` when the database has others than those it
    was built with (also at start); whether it did."""
    async with unit_of_work(factory) as session:
        if await teaching.signature(session) == library.learned_version:
            return False
        phrasings, version = await teaching.learned(session)
    await library.learn(phrasings, version)
    if phrasings:
        log.info("knowledge base merged with %d learned phrasings", len(phrasings))
    return True


def add_faq_jobs(scheduler: AsyncIOScheduler, factory: SessionFactory, library: Library) -> None:
    scheduler.add_job(
        refresh_learned,
        IntervalTrigger(seconds=LEARNED_EVERY_SECONDS, timezone=UTC),
        args=[factory, library],
        id=refresh_learned.__name__,
        replace_existing=True,
    )
