"""The day row (`DeskDay`) that serialises a booking against a closure of the same day."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import Date, bindparam, false
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.desks.tables import DeskDay


async def enter_open_day(session: AsyncSession, location_id: int, day: date) -> bool:
    """Write the day's row unless the day is closed; False when it is closed.

    Called by everything that makes someone hold a desk on `day` (a booking, an offer, an
    accepted offer), in the same transaction, before it does: a closure committed first is
    seen here, and a closure coming second waits until this transaction ends.
    """
    params = {"location_id": location_id, "day": day}
    result = await session.execute(_enter(session.get_bind().dialect.name), params)
    return result.first() is not None


async def mark_day(session: AsyncSession, location_id: int, day: date, *, closed: bool) -> None:
    """Close (or reopen) the day for bookings; a booking of it in progress is waited for."""
    params = {"location_id": location_id, "day": day, "closed": closed}
    await session.execute(_mark(session.get_bind().dialect.name), params)


def _insert(dialect: str) -> Any:
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(DeskDay)


@lru_cache(maxsize=2)
def _enter(dialect: str) -> Any:
    statement = _insert(dialect).values(
        location_id=bindparam("location_id"), day=bindparam("day", type_=Date), closed=false()
    )
    return statement.on_conflict_do_update(
        index_elements=[DeskDay.location_id, DeskDay.day],
        set_={"closed": DeskDay.closed},  # writes the row (and so locks it) without a change
        where=DeskDay.closed.is_(False),
    ).returning(DeskDay.location_id)


@lru_cache(maxsize=2)
def _mark(dialect: str) -> Any:
    statement = _insert(dialect).values(
        location_id=bindparam("location_id"),
        day=bindparam("day", type_=Date),
        closed=bindparam("closed"),
    )
    return statement.on_conflict_do_update(
        index_elements=[DeskDay.location_id, DeskDay.day],
        set_={"closed": statement.excluded.closed},
    )
