"""A broadcast's life: created (now or for later), launched into the outbox, cancelled,
finished; and how far it has got. Every step is a conditional write, so two instances never
launch, finish or cancel one twice."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import outbox
from storage.broadcasts.audience import Audience, recipients
from storage.broadcasts.tables import Broadcast, Status
from storage.outbox import OutboxMessage, State

KIND = "broadcast"  # the outbox kind of one recipient's copy
BLOCKED_MARK = "blocked"  # how the engine's reason for a blocked recipient begins


async def create(
    session: AsyncSession,
    author_id: int,
    *,
    variants: Mapping[str, Any],
    default_locale: str,
    button: Mapping[str, Any] | None,
    audience: Audience,
    scheduled_at: datetime,
) -> Broadcast:
    row = Broadcast(
        author_id=author_id,
        status=Status.SCHEDULED,
        variants=dict(variants),
        default_locale=default_locale,
        button=dict(button) if button else None,
        audience=audience.as_json(),
        scheduled_at=scheduled_at,
        total=0,
    )
    session.add(row)
    await session.flush()
    return row


async def launch_due(
    session: AsyncSession, now: datetime, only: int | None = None
) -> list[Broadcast]:
    """Start the broadcasts whose time has come (or just broadcast `only`): each recipient's
    copy becomes an outbox row (resolved now, so someone who joins later is not included and
    someone who blocked the bot meanwhile is left out)."""
    which = [] if only is None else [Broadcast.id == only]
    due = await session.scalars(
        update(Broadcast)
        .where(Broadcast.status == Status.SCHEDULED, Broadcast.scheduled_at <= now, *which)
        .values(status=Status.SENDING, started_at=now)
        .returning(Broadcast)
        .execution_options(synchronize_session=False)
    )
    launched = sorted(due, key=lambda row: (row.scheduled_at, row.id))
    for row in launched:
        people = await recipients(
            session, Audience.from_json(row.audience), now, row.default_locale
        )
        row.total = await outbox.enqueue_bulk(session, people, KIND, row.id, now)
    return launched


async def cancel(session: AsyncSession, broadcast_id: int, now: datetime) -> Broadcast | None:
    """Stop a scheduled or sending broadcast: the copies not sent yet are dropped (those being
    sent this moment still go). None when it had already ended."""
    row = await session.scalar(
        update(Broadcast)
        .where(
            Broadcast.id == broadcast_id,
            Broadcast.status.in_((Status.SCHEDULED, Status.SENDING)),
        )
        .values(status=Status.CANCELLED, finished_at=now)
        .returning(Broadcast)
        .execution_options(synchronize_session=False)
    )
    if row is not None:
        await outbox.drop(session, [KIND], [broadcast_id], "broadcast cancelled")
    return row


async def finish_sent(session: AsyncSession, now: datetime) -> list[Broadcast]:
    """The sending broadcasts with no copy left to send become done."""
    left = exists().where(
        OutboxMessage.kind == KIND,
        OutboxMessage.ref == Broadcast.id,
        OutboxMessage.state.in_((State.PENDING, State.SENDING)),
    )
    done = await session.scalars(
        update(Broadcast)
        .where(Broadcast.status == Status.SENDING, ~left)
        .values(status=Status.DONE, finished_at=now)
        .returning(Broadcast)
        .execution_options(synchronize_session=False)
    )
    return list(done)


async def get(session: AsyncSession, broadcast_id: int) -> Broadcast | None:
    return await session.get(Broadcast, broadcast_id)


async def sending(session: AsyncSession) -> list[Broadcast]:
    rows = await session.scalars(
        select(Broadcast).where(Broadcast.status == Status.SENDING).order_by(Broadcast.id)
    )
    return list(rows)


async def recent(session: AsyncSession, limit: int = 10) -> list[Broadcast]:
    rows = await session.scalars(select(Broadcast).order_by(Broadcast.id.desc()).limit(limit))
    return list(rows)


@dataclass(frozen=True, slots=True)
class Progress:
    total: int
    sent: int
    failed: int
    blocked: int  # the recipient had blocked the bot
    dropped: int  # not sent: cancelled, or the person left meanwhile

    @property
    def remaining(self) -> int:
        return max(self.total - self.sent - self.failed - self.blocked - self.dropped, 0)

    @property
    def done(self) -> int:
        return self.total - self.remaining


async def progress(session: AsyncSession, broadcast: Broadcast) -> Progress:
    blocked = and_(
        OutboxMessage.state == State.DROPPED,
        OutboxMessage.last_error.like(BLOCKED_MARK + "%"),
    )
    rows = await session.execute(
        select(OutboxMessage.state, blocked.label("blocked"), func.count())
        .where(OutboxMessage.kind == KIND, OutboxMessage.ref == broadcast.id)
        .group_by(OutboxMessage.state, blocked)
    )
    counts = {State.SENT: 0, State.FAILED: 0, "blocked": 0, State.DROPPED: 0}
    for state, is_blocked, count in rows:
        key = "blocked" if is_blocked else state
        if key in counts:
            counts[key] += count
    return Progress(
        total=broadcast.total,
        sent=counts[State.SENT],
        failed=counts[State.FAILED],
        blocked=counts["blocked"],
        dropped=counts[State.DROPPED],
    )
