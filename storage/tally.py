"""Counting what happened, for the metrics, only once it is committed.

An operation that makes something worth counting (a booking, a question answered) calls
`tally(session, what, kind)`. The count reaches the session factory's sink (`info["tally"]`,
given by the composition root) after the transaction commits; a transaction that rolls back
counts nothing, so the metrics never show a booking the database does not have. Without a sink
(a test's bare factory, a migration) counting costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

# what was counted ("booking", "faq") and its kind ("desk", "answered"…)
Sink = Callable[[str, str], None]

_PENDING = "tally_pending"
_LISTENING = "tally_listening"


def tally(session: AsyncSession, what: str, kind: str) -> None:
    """Count one `what` of `kind` when the session's current transaction commits."""
    sink: Sink | None = session.info.get("tally")
    if sink is None:
        return
    _listen(session.sync_session)
    session.info.setdefault(_PENDING, []).append((what, kind))


def _listen(sync: Session) -> None:
    if sync.info.get(_LISTENING):
        return
    sync.info[_LISTENING] = True
    event.listen(sync, "after_commit", _committed)
    event.listen(sync, "after_transaction_end", _ended)


def _committed(sync: Session) -> None:
    sink: Sink = sync.info["tally"]
    for what, kind in sync.info.pop(_PENDING, ()):
        sink(what, kind)


def _ended(sync: Session, transaction: SessionTransaction) -> None:
    """A transaction that ended without a commit (rolled back, or closed after a failure)
    forgets what it would have counted; a savepoint's end is not the transaction's."""
    if transaction.parent is None:
        sync.info.pop(_PENDING, None)


__all__ = ["Sink", "tally"]
