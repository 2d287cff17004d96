"""The broadcasts job: launches those whose time has come, keeps each author's progress
message current while the engine sends, and reports the end. The database says what is due
and every step is a conditional write, so a restart resumes where it was and two instances
never launch or finish one twice."""

from __future__ import annotations

import logging
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from handlers.admin import notices
from storage.base import WallClock, utcnow
from storage.broadcasts import sending
from storage.engine import SessionFactory, unit_of_work

log = logging.getLogger(__name__)
PROGRESS_EVERY_SECONDS = 5


async def run_broadcasts(factory: SessionFactory, wall_clock: WallClock = utcnow) -> int:
    """One look: launch, update progress, finish; how many broadcasts it moved on."""
    now = wall_clock()
    async with unit_of_work(factory) as session:
        launched = await sending.launch_due(session, now)
        for broadcast in launched:
            log.info("broadcast %s launched to %d people", broadcast.id, broadcast.total)
        finished = await sending.finish_sent(session, now)
        for broadcast in finished:
            log.info("broadcast %s finished", broadcast.id)
            notices.tell_report(session, broadcast)
        for broadcast in await sending.sending(session):
            if not await notices.progress_waiting(session, broadcast.id):
                notices.tell_progress(session, broadcast)
    return len(launched) + len(finished)


def add_broadcast_jobs(scheduler: AsyncIOScheduler, factory: SessionFactory) -> None:
    scheduler.add_job(
        run_broadcasts,
        IntervalTrigger(seconds=PROGRESS_EVERY_SECONDS, timezone=UTC),
        args=[factory],
        id=run_broadcasts.__name__,
        replace_existing=True,
    )
