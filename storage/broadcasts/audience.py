"""Who a broadcast goes to: an audience is a kind and a value, resolved when it is sent."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.desks.tables import DeskBooking
from storage.events.tables import Registration, Seat
from storage.users import User

MAX_DAYS = 365


class Kind(StrEnum):
    EVERYONE = "all"  # everyone who has not blocked the bot
    LANGUAGE = "lang"  # value: en / ru / fi
    LOCATION = "place"  # value: a location id; people who booked a desk there
    COACHES = "coaches"
    EVENT = "event"  # value: an event id; people registered or in line
    ACTIVE = "active"  # value: days; people who wrote to the bot in the last N days


@dataclass(frozen=True, slots=True)
class Audience:
    kind: Kind
    value: str | int | None = None

    def as_json(self) -> dict[str, str | int | None]:
        return {"kind": str(self.kind), "value": self.value}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Audience:
        value = data.get("value")
        return cls(Kind(str(data["kind"])), value if isinstance(value, str | int) else None)


async def recipients(
    session: AsyncSession, audience: Audience, now: datetime, default_locale: str
) -> dict[int, str]:
    """The people of `audience` the bot may write to, each with their language."""
    reachable = User.blocked_at.is_(None)
    query = select(User.id, User.locale).where(reachable)
    kind, value = audience.kind, audience.value
    if kind is Kind.LANGUAGE:
        query = query.where(User.locale == str(value))
    elif kind is Kind.LOCATION:
        booked = select(DeskBooking.user_id).where(DeskBooking.location_id == int(value or 0))
        query = query.where(User.id.in_(booked))
    elif kind is Kind.COACHES:
        query = query.where(User.is_coach.is_(True))
    elif kind is Kind.EVENT:
        seated = select(Registration.user_id).where(
            Registration.event_id == int(value or 0),
            Registration.status.in_((Seat.REGISTERED, Seat.WAITING)),
        )
        query = query.where(User.id.in_(seated))
    elif kind is Kind.ACTIVE:
        days = min(max(int(value or 1), 1), MAX_DAYS)
        query = query.where(User.last_seen_at >= now - timedelta(days=days))
    rows = await session.execute(query.order_by(User.id))
    return {user_id: locale or default_locale for user_id, locale in rows}


def by_language(people: dict[int, str]) -> Counter[str]:
    return Counter(people.values())
