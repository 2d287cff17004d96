"""The scheduler of one bot process and its housekeeping job."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from aiogram.fsm.storage.base import BaseStorage
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import audit, privacy
from storage.base import utcnow
from storage.engine import SessionFactory, checkpoint, unit_of_work
from storage.fsm import SQLStorage

log = logging.getLogger(__name__)
IDLE_CONVERSATION = timedelta(days=30)


def create_scheduler(
    storage: BaseStorage,
    engine: AsyncEngine,
    factory: SessionFactory | None = None,
    retention: timedelta | None = None,
) -> AsyncIOScheduler:
    """A UTC scheduler for the periodic jobs only: each asks the database what is due (offers
    to expire, desks to release, conversations to forget), so a run that was missed loses
    nothing and the next one does its work. Hence `coalesce` (runs missed while the process
    was stalled or down become one), `max_instances=1` (a slow run is never overlapped by the
    next) and a generous `misfire_grace_time` (a late run still runs, rather than being skipped
    as APScheduler's one-second default does). Nothing is ever planned as one job per message:
    reminders and notices are outbox rows with a due time, and the delivery engine wakes for
    them itself (scheduler/delivery.py). With `factory` and `retention`, question texts and
    audit entries older than `retention` are anonymised every few hours."""
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
    if factory is not None and retention is not None:
        scheduler.add_job(
            anonymise_expired,
            IntervalTrigger(hours=6, timezone=UTC),
            args=[factory, retention],
            id="anonymise_expired",
            replace_existing=True,
        )
    return scheduler


async def anonymise_expired(
    factory: SessionFactory, retention: timedelta, now: datetime | None = None
) -> tuple[int, int]:
    """Past the retention period, what people asked loses its text and its asker, and the
    audit log its actors and details (the outcomes and actions stay for statistics); how
    many questions and entries were anonymised."""
    moment = (now or utcnow()) - retention
    async with unit_of_work(factory) as session:
        questions = await privacy.anonymise_questions_before(session, moment)
        entries = await audit.anonymise_before(session, moment)
    if questions or entries:
        log.info("anonymised %d old questions and %d audit entries", questions, entries)
    return questions, entries


async def purge_idle_conversations(storage: SQLStorage) -> int:
    """Forget flows abandoned for a month, so a user returning then starts afresh."""
    removed = await storage.purge_idle(IDLE_CONVERSATION)
    if removed:
        log.info("forgot %d abandoned conversations", removed)
    return removed
