"""The audit log: every admin action (who, what, when, on what), kept for `/audit` and
anonymised by the housekeeping job once older than the retention period."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, CleanString, UTCDateTime, utcnow


class Action(StrEnum):
    BROADCAST_SENT = "broadcast.sent"
    BROADCAST_SCHEDULED = "broadcast.scheduled"
    BROADCAST_CANCELLED = "broadcast.cancelled"
    ROLE_GRANTED = "role.granted"
    ROLE_REVOKED = "role.revoked"
    COACH_ADDED = "coach.added"
    COACH_INVITED = "coach.invited"
    COACH_RETIRED = "coach.retired"
    DAY_CLOSED = "desks.closed"
    DAY_REOPENED = "desks.reopened"
    EVENT_CHANGED = "event.changed"
    EVENT_CANCELLED = "event.cancelled"
    EXPORT = "export"
    RELOAD = "content.reloaded"
    FAQ_LEARNED = "faq.learned"
    FAQ_IGNORED = "faq.ignored"


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)  # None once anonymised
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str | None] = mapped_column(CleanString(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def record(
    session: AsyncSession,
    actor_id: int,
    action: Action,
    target: str | None = None,
    details: Mapping[str, Any] | None = None,
    *,
    at: datetime | None = None,
) -> AuditEntry:
    """An admin action, part of the caller's unit of work (kept only if the action is)."""
    entry = AuditEntry(
        at=at or utcnow(),
        actor_id=actor_id,
        action=str(action),
        target=target[:200] if target else None,
        details=dict(details or {}),
    )
    session.add(entry)
    return entry


async def latest(session: AsyncSession, limit: int) -> list[AuditEntry]:
    rows = await session.scalars(
        select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    )
    return list(rows)


async def anonymise_before(session: AsyncSession, moment: datetime) -> int:
    """Entries older than `moment` lose who did it and the details (the action stays)."""
    result = await session.execute(
        update(AuditEntry)
        .where(AuditEntry.at < moment, AuditEntry.actor_id.is_not(None))
        .values(actor_id=None, target=None, details={})
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def forget_actor(session: AsyncSession, user_id: int) -> int:
    """An erased person's own entries keep the action without them (and without the details,
    which may name what they did it to)."""
    result = await session.execute(
        update(AuditEntry)
        .where(AuditEntry.actor_id == user_id)
        .values(actor_id=None, details={})
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
