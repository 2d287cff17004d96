"""The scheduler of one bot process and its housekeeping job."""

from __future__ import annotations

import logging
from datetime import UTC, timedelta

from aiogram.fsm.storage.base import BaseStorage
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import checkpoint
from storage.fsm import SQLStorage

log = logging.getLogger(__name__)
IDLE_CONVERSATION = timedelta(days=30)


def create_scheduler(storage: BaseStorage, engine: AsyncEngine) -> AsyncIOScheduler:
    """A UTC scheduler for the periodic jobs only: each asks the database what is due (offers
    to expire, desks to release, conversations to forget), so a run that was missed loses
    nothing and the next one does its work. Hence `coalesce` (runs missed while the process
    was stalled or down become one), `max_instances=1` (a slow run is never overlapped by the
    next) and a generous `misfire_grace_time` (a late run still runs, rather than being skipped
    as APScheduler's one-second default does). Nothing is ever planned as one job per message:
    reminders and notices are outbox rows with a due time, and the delivery engine wakes for
    them itself (scheduler/delivery.py)."""
    scheduler = AsyncIOScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )
    if engine.dialect.name == "sqlite":
        scheduler.add_job(
            checkpoint,
            IntervalTrigger(minutes=1, timezone=UTC),
            args=[engine],
            id="sqlite_checkpoint",
            replace_existing=True,
        )
    if isinstance(storage, SQLStorage):
        scheduler.add_job(
            purge_idle_conversations,
            IntervalTrigger(hours=6, timezone=UTC),
            args=[storage],
            id="purge_idle_conversations",
            replace_existing=True,
        )
    return scheduler


async def purge_idle_conversations(storage: SQLStorage) -> int:
    """Forget flows abandoned for a month, so a user returning then starts afresh."""
    removed = await storage.purge_idle(IDLE_CONVERSATION)
    if removed:
        log.info("forgot %d abandoned conversations", removed)
    return removed
