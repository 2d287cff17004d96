"""Locations, zones and desks of the Business Oasis: tables, the seed sync and admin closures."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    delete,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, CleanText, UTCDateTime, insert, utcnow
from storage.desks import days
from storage.desks.opening import CheckIn, Closure, ClosureKind, Desk, Place, Rules, Zone


class Location(Base):
    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(16), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    country: Mapped[str] = mapped_column(String(2))
    names: Mapped[dict[str, str]] = mapped_column(JSON)
    addresses: Mapped[dict[str, str]] = mapped_column(JSON)
    hours: Mapped[dict[str, list[str]]] = mapped_column(JSON)  # "0".."6" -> [opens, closes]
    closed: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON)  # ISO date -> reasons
    max_active: Mapped[int] = mapped_column(Integer)
    horizon_days: Mapped[int] = mapped_column(Integer)
    offer_window_minutes: Mapped[int] = mapped_column(Integer)
    coach_sessions_per_coach: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    coach_sessions_total: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    reminder_time: Mapped[str] = mapped_column(String(5), default="18:00")  # the evening before
    check_in_morning: Mapped[str | None] = mapped_column(String(5))  # None: no check-in
    check_in_afternoon: Mapped[str | None] = mapped_column(String(5))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ZoneRow(Base):
    __tablename__ = "zones"
    __table_args__ = (UniqueConstraint("location_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(16))
    names: Mapped[dict[str, str]] = mapped_column(JSON)
    position: Mapped[int] = mapped_column(Integer, default=0)


class DeskRow(Base):
    __tablename__ = "desks"
    __table_args__ = (UniqueConstraint("location_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(16))
    features: Mapped[list[str]] = mapped_column(JSON)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # False: removed from the seed


class ClosedDay(Base):
    """A date an admin closed from the bot (maintenance and the like)."""

    __tablename__ = "closed_days"
    __table_args__ = (UniqueConstraint("location_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(CleanText, default="")  # typed by the staff
    closed_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@dataclass(frozen=True)
class Places:
    """Every active location, in display order; looked up by id."""

    all: tuple[Place, ...]

    def get(self, location_id: int) -> Place | None:
        return next((place for place in self.all if place.id == location_id), None)


async def sync_places(session: AsyncSession, seeds: Iterable[Any]) -> None:
    """Bring the tables in line with the seed (`content.places.PlaceSeed` objects), by key.

    Idempotent. What the seed no longer lists is deactivated, never deleted: bookings
    keep pointing at it.
    """
    seen: list[str] = []
    for position, seed in enumerate(seeds):
        seen.append(seed.key)
        values = {
            "timezone": seed.timezone,
            "country": seed.country,
            "names": dict(seed.names),
            "addresses": dict(seed.addresses),
            "hours": {
                str(d): [o.isoformat("minutes"), c.isoformat("minutes")]
                for d, (o, c) in seed.hours.items()
            },
            "closed": {c.day.isoformat(): dict(c.reasons) for c in seed.closed},
            "max_active": seed.rules.max_active,
            "horizon_days": seed.rules.horizon_days,
            "offer_window_minutes": seed.rules.offer_window_minutes,
            "coach_sessions_per_coach": seed.rules.coach_sessions_per_coach,
            "coach_sessions_total": seed.rules.coach_sessions_total,
            "reminder_time": seed.rules.reminder_time.isoformat("minutes"),
            "check_in_morning": _clock_text(seed.rules.check_in and seed.rules.check_in[0]),
            "check_in_afternoon": _clock_text(seed.rules.check_in and seed.rules.check_in[1]),
            "position": position,
            "active": True,
        }
        location_id = await _upsert(session, Location, {"key": seed.key}, values, ["key"])
        zone_ids: dict[str, int] = {}
        for zone_position, zone in enumerate(seed.zones):
            zone_ids[zone.key] = await _upsert(
                session,
                ZoneRow,
                {"location_id": location_id, "key": zone.key},
                {"names": dict(zone.names), "position": zone_position},
                ["location_id", "key"],
            )
        for desk_position, desk in enumerate(seed.desks):
            await _upsert(
                session,
                DeskRow,
                {"location_id": location_id, "key": desk.key},
                {
                    "zone_id": zone_ids[desk.zone],
                    "label": desk.label,
                    "features": list(desk.features),
                    "position": desk_position,
                    "active": True,
                },
                ["location_id", "key"],
            )
        await session.execute(
            update(DeskRow)
            .where(
                DeskRow.location_id == location_id,
                DeskRow.key.not_in([desk.key for desk in seed.desks]),
            )
            .values(active=False)
        )
    await session.execute(update(Location).where(Location.key.not_in(seen)).values(active=False))


def _clock_text(value: time | None) -> str | None:
    return value.isoformat("minutes") if value is not None else None


async def _upsert(
    session: AsyncSession,
    table: type[Base],
    keys: Mapping[str, Any],
    values: Mapping[str, Any],
    conflict: list[str],
) -> int:
    statement = insert(session, table).values(**keys, **values)
    statement = statement.on_conflict_do_update(index_elements=conflict, set_=dict(values))
    await session.execute(statement)
    row_id = await session.scalar(
        select(table.id).filter_by(**keys)  # type: ignore[attr-defined]
    )
    assert row_id is not None
    return int(row_id)


async def load_places(session: AsyncSession) -> Places:
    """The picture of every active location that the booking rules are checked against."""
    locations = (
        await session.scalars(
            select(Location).where(Location.active.is_(True)).order_by(Location.position)
        )
    ).all()
    zones = (await session.scalars(select(ZoneRow).order_by(ZoneRow.position))).all()
    desks = (
        await session.scalars(
            select(DeskRow).where(DeskRow.active.is_(True)).order_by(DeskRow.position)
        )
    ).all()
    return Places(tuple(_place(row, zones, desks) for row in locations))


def _place(row: Location, zones: Iterable[ZoneRow], desks: Iterable[DeskRow]) -> Place:
    return Place(
        id=row.id,
        key=row.key,
        timezone=ZoneInfo(row.timezone),
        country=row.country,
        names=row.names,
        addresses=row.addresses,
        hours={
            int(day): (time.fromisoformat(opens), time.fromisoformat(closes))
            for day, (opens, closes) in row.hours.items()
        },
        closed={date.fromisoformat(day): reasons for day, reasons in row.closed.items()},
        rules=Rules(
            max_active=row.max_active,
            horizon_days=row.horizon_days,
            offer_window=timedelta(minutes=row.offer_window_minutes),
            coach_sessions_per_coach=row.coach_sessions_per_coach,
            coach_sessions_total=row.coach_sessions_total,
            reminder_at=time.fromisoformat(row.reminder_time),
            check_in=(
                CheckIn(
                    time.fromisoformat(row.check_in_morning),
                    time.fromisoformat(row.check_in_afternoon),
                )
                if row.check_in_morning and row.check_in_afternoon
                else None
            ),
        ),
        zones=tuple(
            Zone(zone.id, zone.key, zone.names) for zone in zones if zone.location_id == row.id
        ),
        desks=tuple(
            Desk(desk.id, desk.key, desk.label, desk.zone_id, tuple(desk.features))
            for desk in desks
            if desk.location_id == row.id
        ),
    )


async def admin_closures(
    session: AsyncSession, place: Place, first: date, last: date
) -> dict[date, Closure]:
    """Dates between `first` and `last` that an admin closed, with the reason they gave."""
    rows = await session.execute(
        select(ClosedDay.day, ClosedDay.reason).where(
            ClosedDay.location_id == place.id, ClosedDay.day.between(first, last)
        )
    )
    return {day: Closure(ClosureKind.CLOSED, reason) for day, reason in rows}


async def closure_on(
    session: AsyncSession, place: Place, day: date, language: str = "en"
) -> Closure | None:
    """Why the location is closed on `day` (its calendar or an admin), None when open."""
    return place.closure(day, language) or (await admin_closures(session, place, day, day)).get(day)


async def admin_closed_on(session: AsyncSession, day: date) -> set[int]:
    """The locations an admin closed on `day`."""
    rows = await session.scalars(select(ClosedDay.location_id).where(ClosedDay.day == day))
    return set(rows)


async def mark_closed(
    session: AsyncSession, place: Place, day: date, reason: str, closed_by: int | None
) -> bool:
    """Record an admin closure; False when the date was already closed by an admin."""
    statement = (
        insert(session, ClosedDay)
        .values(
            location_id=place.id,
            day=day,
            reason=reason[:500],
            closed_by=closed_by,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["location_id", "day"])
    )
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def reopen(session: AsyncSession, place: Place, day: date) -> bool:
    """Undo an admin closure; False when the date was not closed by an admin."""
    result = await session.execute(
        delete(ClosedDay).where(ClosedDay.location_id == place.id, ClosedDay.day == day)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    await days.mark_day(session, place.id, day, closed=False)
    return True
