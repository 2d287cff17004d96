"""Counting what happened, for the metrics, only once it is committed.

An operation that makes something worth counting (a booking, a question answered) calls
`tally(session, what, kind)`. The count reaches the session factory's sink (`info["tally"]`,
given by the composition root) after the transaction commits; a transaction that rolls back
counts nothing, so the metrics never show a booking the database does not have. Without a sink
(a test's bare factory, a migration) counting costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from storage.engine import unit_session

# what was counted ("booking", "faq") and its kind ("desk", "answered"…)
Sink = Callable[[str, str], None]

_PENDING = "tally_pending"


def tally(session: AsyncSession, what: str, kind: str) -> None:
    """Count one `what` of `kind` when the session's current transaction commits."""
    sink: Sink | None = session.info.get("tally")
    if sink is None:
        return
    info = session.info
    pending: list[tuple[str, str]] | None = info.get(_PENDING)
    if pending is None:
        pending = info[_PENDING] = []
        unit = unit_session(session)

        def committed() -> None:
            for counted in info.pop(_PENDING, ()):
                sink(*counted)

        unit.after_commit(_PENDING, committed)
        unit.after_rollback(_PENDING, lambda: info.pop(_PENDING, None))
    pending.append((what, kind))


__all__ = ["Sink", "tally"]
