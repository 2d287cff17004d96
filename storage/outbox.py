"""The outbox: every message the bot sends on its own (a notice to someone other than the
person who pressed, an offer, a reminder), written in the same transaction as the change that
causes it and delivered by the engine in `scheduler/delivery.py`.

A row names its recipient, its kind and what it is about (`ref` and `params`); the text is
rendered when it is sent, in the recipient's language of that moment, from the state of that
moment. Rows are claimed with a conditional UPDATE under a lease (on PostgreSQL `FOR UPDATE
SKIP LOCKED`), so two instances never send the same row and a row claimed by an instance that
died is taken again once its lease has run out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Index,
    Integer,
    SmallInteger,
    String,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, aliased, mapped_column

from storage.base import Base, CleanString, CleanText, UTCDateTime, utcnow
from storage.engine import unit_session


class State(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender until `lease_until`
    SENT = "sent"
    FAILED = "failed"  # gave up after the retries, or Telegram refused it for good
    DROPPED = "dropped"  # no longer worth sending (cancelled, too late, recipient gone)


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_state_due_at", "state", "due_at"),
        Index("ix_outbox_chat_id_state", "chat_id", "state"),
        Index("ix_outbox_kind_ref", "kind", "ref"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    ref: Mapped[int | None] = mapped_column(BigInteger)  # the booking, question… it is about
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    useful_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # later: dropped
    state: Mapped[str] = mapped_column(String(8), default=State.PENDING)
    # 0: notices, offers, reminders; BULK: broadcasts, sent only when nothing more urgent waits
    priority: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(CleanText)
    lease_owner: Mapped[str | None] = mapped_column(CleanString(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[int | None] = mapped_column(BigInteger)  # Telegram's, once sent
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


WAKE_AHEAD = timedelta(seconds=10)  # a row due this soon wakes the engine on commit


class Doorbell:
    """Rung when a transaction that wrote a message due now commits: the engine of this
    process starts sending at once instead of at its next look (other instances find the row
    at theirs). Handed to the sessions by the session factory (`info["outbox_doorbell"]`)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def ring(self) -> None:
        self._event.set()

    @property
    def rung(self) -> bool:
        return self._event.is_set()

    async def wait(self, seconds: float) -> bool:
        """True if rung within `seconds` (the bell is then reset)."""
        if self._event.is_set():
            self._event.clear()
            return True
        try:
            await asyncio.wait_for(self._event.wait(), seconds)
        except TimeoutError:
            return False
        self._event.clear()
        return True


def _ring_on_commit(session: AsyncSession) -> None:
    """Wake the engine once this transaction has committed (rows due now are in it)."""
    doorbell: Doorbell | None = session.info.get("outbox_doorbell")
    if doorbell is not None:
        unit_session(session).after_commit("outbox_doorbell", doorbell.ring)


def enqueue(
    session: AsyncSession,
    chat_id: int,
    kind: str,
    *,
    ref: int | None = None,
    params: Mapping[str, Any] | None = None,
    due_at: datetime | None = None,
    useful_until: datetime | None = None,
) -> None:
    """A message to deliver, part of the caller's unit of work: it goes out only if that
    commits. A message due now (or within WAKE_AHEAD) wakes the engine once the commit is
    done; later ones are found at the engine's regular look."""
    now = utcnow()
    due = due_at or now
    row = {
        "chat_id": chat_id,
        "kind": kind,
        "ref": ref,
        "params": dict(params or {}),
        "due_at": due,
        "useful_until": useful_until,
        "state": State.PENDING,
        "priority": 0,
        "attempts": 0,
        "created_at": now,
    }
    # Written before the transaction's next statement, flush or commit: one INSERT for all
    # the rows queued by then.
    unit_session(session).insert_later(OutboxMessage.__table__, row)
    if due <= now + WAKE_AHEAD:  # the engine then sleeps exactly until it is due
        _ring_on_commit(session)


BULK = 1  # the priority of a broadcast's rows
REPLAN_AFTER = 500  # a bulk write of this many rows has PostgreSQL re-read the outbox first


async def enqueue_bulk(
    session: AsyncSession, chat_ids: Iterable[int], kind: str, ref: int, due_at: datetime
) -> int:
    """One bulk message (a broadcast) to each of `chat_ids`, as one multi-row write; sent
    when nothing more urgent waits (see `claim`). How many rows were written."""
    now = utcnow()
    rows = [
        {
            "chat_id": chat_id,
            "kind": kind,
            "ref": ref,
            "params": {},
            "due_at": due_at,
            "state": State.PENDING,
            "attempts": 0,
            "priority": BULK,
            "created_at": now,
        }
        for chat_id in chat_ids
    ]
    if not rows:
        return 0
    await session.execute(OutboxMessage.__table__.insert(), rows)
    if len(rows) >= REPLAN_AFTER and session.get_bind().dialect.name == "postgresql":
        # PostgreSQL plans `claim` from the table's statistics, which still describe the
        # outbox before these thousands of rows: planned for a handful, one claim took seconds
        # (a nested loop over every pending row) and the broadcast ran at 2/3 of its rate until
        # autovacuum caught up. ANALYZE counts this transaction's own new rows.
        await session.execute(text("ANALYZE outbox"))
    if due_at <= now + WAKE_AHEAD:
        _ring_on_commit(session)
    return len(rows)


async def claim(
    session: AsyncSession,
    owner: str,
    now: datetime,
    limit: int,
    lease: timedelta,
    *,
    bulk_limit: int | None = None,
) -> list[OutboxMessage]:
    """Take up to `limit` due rows for `owner` until `now + lease`: pending ones that are due,
    and those whose sender's lease ran out (it died). The urgent first (notices, offers,
    reminders), then bulk rows (broadcasts) to fill the round, at most `bulk_limit` of them: a
    round of bulk rows stays short, so a reminder written meanwhile waits for the next round,
    never for a whole broadcast. Oldest due first, and one row per chat: a chat's next row is
    claimable only once the one before it is done, so a person gets their messages in order
    even with several senders (and one a second is all a chat may have anyway); only a
    broadcast copy that is still waiting may be overtaken by a notice or a reminder."""

    def live(row: Any) -> Any:  # ahead in its chat's line: due, being sent, or being retried
        return or_(
            and_(row.state == State.PENDING, or_(row.due_at <= now, row.attempts > 0)),
            row.state == State.SENDING,
        )

    earlier = aliased(OutboxMessage)

    def first_of_chat(urgent: bool) -> Any:
        # An urgent row overtakes a chat's broadcast copy that is only waiting (not one that
        # is being sent: a chat has one sender at a time).
        ahead = live(earlier)
        if urgent:
            ahead = and_(ahead, or_(earlier.priority < BULK, earlier.state == State.SENDING))
        return ~exists().where(
            earlier.chat_id == OutboxMessage.chat_id, earlier.id < OutboxMessage.id, ahead
        )

    due = or_(
        and_(OutboxMessage.state == State.PENDING, OutboxMessage.due_at <= now),
        and_(OutboxMessage.state == State.SENDING, OutboxMessage.lease_until < now),
    )
    locking = session.get_bind().dialect.name == "postgresql"
    chosen: list[int] = []
    urgent = OutboxMessage.priority < BULK
    for is_urgent, room in ((True, limit), (False, bulk_limit)):
        room = limit - len(chosen) if room is None else min(room, limit - len(chosen))
        if room <= 0:
            break
        which = urgent if is_urgent else ~urgent
        ids = (
            select(OutboxMessage.id)
            .where(due, which, first_of_chat(is_urgent))
            .order_by(OutboxMessage.due_at, OutboxMessage.id)
            .limit(room)
        )
        if locking:
            ids = ids.with_for_update(skip_locked=True)
        chosen += await session.scalars(ids)
    if not chosen:
        return []
    # Chosen first, then taken: as one statement PostgreSQL may run the sub-select once per
    # row it updates and so take far more than `limit`. The UPDATE re-checks `due`, so a row
    # another sender took in between is not taken twice.
    claimed = await session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(chosen), due)
        .values(
            state=State.SENDING,
            lease_owner=owner,
            lease_until=now + lease,
            attempts=OutboxMessage.attempts + 1,
        )
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False)
    )
    return sorted(claimed, key=lambda row: (row.priority, row.due_at, row.id))


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one claimed row."""

    id: int
    state: State
    error: str | None = None
    message_id: int | None = None
    retry_at: datetime | None = None  # back to pending, due then


async def settle(session: AsyncSession, owner: str, outcomes: Sequence[Outcome]) -> None:
    """Record what became of claimed rows, only while `owner` still holds them (a row whose
    lease ran out and was taken by another sender is that sender's to record). One statement
    for all of them (executemany)."""
    if not outcomes:
        return
    now = utcnow()
    table = OutboxMessage.__table__
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"), table.c.lease_owner == owner)
        .values(
            state=bindparam("new_state"),
            last_error=bindparam("error"),
            lease_owner=None,
            lease_until=None,
            due_at=func.coalesce(bindparam("retry_at", type_=UTCDateTime), table.c.due_at),
            sent_at=func.coalesce(bindparam("sent", type_=UTCDateTime), table.c.sent_at),
            message_id=func.coalesce(
                bindparam("telegram_id", type_=BigInteger), table.c.message_id
            ),
        )
    )
    await session.execute(
        statement,
        [
            {
                "row_id": outcome.id,
                "new_state": State.PENDING if outcome.retry_at is not None else outcome.state,
                "error": outcome.error,
                "retry_at": outcome.retry_at,
                "sent": now if outcome.state is State.SENT else None,
                "telegram_id": outcome.message_id,
            }
            for outcome in outcomes
        ],
    )


async def renew(session: AsyncSession, owner: str, until: datetime) -> int:
    """Keep what `owner` is sending its own until `until` (it is alive and still at it)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.lease_owner == owner, OutboxMessage.state == State.SENDING)
        .values(lease_until=until)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def drop_for_chat(
    session: AsyncSession, chat_id: int, reason: str, kinds: Iterable[str] | None = None
) -> int:
    """A recipient's pending rows go (of `kinds`, or all: they blocked the bot, the chat is
    gone); how many."""
    which = [] if kinds is None else [OutboxMessage.kind.in_(list(kinds))]
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.chat_id == chat_id, OutboxMessage.state == State.PENDING, *which)
        .values(state=State.DROPPED, last_error=reason)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def drop(
    session: AsyncSession, kinds: Iterable[str], refs: Iterable[int], reason: str
) -> int:
    """Pending messages about things that are gone (a cancelled booking's reminders)."""
    wanted = list(refs)
    if not wanted:
        return 0
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.kind.in_(list(kinds)),
            OutboxMessage.ref.in_(wanted),
            OutboxMessage.state == State.PENDING,
        )
        .values(state=State.DROPPED, last_error=reason)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def gone_out(session: AsyncSession, kinds: Iterable[str], ref: int) -> set[str]:
    """Which of `kinds` about `ref` have been sent or are being sent (not to plan them again)."""
    rows = await session.scalars(
        select(OutboxMessage.kind).where(
            OutboxMessage.kind.in_(list(kinds)),
            OutboxMessage.ref == ref,
            OutboxMessage.state.in_((State.SENT, State.SENDING)),
        )
    )
    return set(rows)


async def sent_messages(
    session: AsyncSession, chat_id: int, kinds: Iterable[str], ref: int
) -> list[int]:
    """The Telegram ids of the messages of `kinds` about `ref` sent to a chat (to edit them
    when what they offer is gone), oldest first."""
    rows = await session.scalars(
        select(OutboxMessage.message_id)
        .where(
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.kind.in_(list(kinds)),
            OutboxMessage.ref == ref,
            OutboxMessage.state == State.SENT,
            OutboxMessage.message_id.is_not(None),
        )
        .order_by(OutboxMessage.id)
    )
    return [int(message_id) for message_id in rows]


async def next_due(session: AsyncSession) -> datetime | None:
    """When the earliest pending row falls due, or the earliest lease runs out (a row whose
    sender died); the engine sleeps until then."""
    pending = await session.scalar(
        select(func.min(OutboxMessage.due_at)).where(OutboxMessage.state == State.PENDING)
    )
    leased = await session.scalar(
        select(func.min(OutboxMessage.lease_until)).where(OutboxMessage.state == State.SENDING)
    )
    return min((moment for moment in (pending, leased) if moment is not None), default=None)


async def backlog(session: AsyncSession, now: datetime) -> dict[int, tuple[int, float]]:
    """Per priority, the pending rows already due and how many seconds the oldest of them is
    overdue (what /metrics reports; rows due later are not a backlog)."""
    rows = await session.execute(
        select(OutboxMessage.priority, func.count(), func.min(OutboxMessage.due_at))
        .where(OutboxMessage.state == State.PENDING, OutboxMessage.due_at <= now)
        .group_by(OutboxMessage.priority)
    )
    return {
        int(priority): (int(depth), max(0.0, (now - oldest).total_seconds()))
        for priority, depth, oldest in rows
    }


__all__ = [
    "BULK", "Doorbell", "OutboxMessage", "Outcome", "State", "backlog", "claim", "drop",
    "drop_for_chat", "enqueue", "enqueue_bulk", "gone_out", "next_due", "renew", "sent_messages",
    "settle",
]  # fmt: skip
