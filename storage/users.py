"""People who talk to the bot: the table and what may be done to it."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, SmallInteger, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, CleanString, UTCDateTime, insert, utcnow


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_name: Mapped[str] = mapped_column(CleanString(128), default="")
    last_name: Mapped[str | None] = mapped_column(CleanString(128))
    username: Mapped[str | None] = mapped_column(CleanString(64))
    locale: Mapped[str | None] = mapped_column(CleanString(8))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_coach: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Reminder settings (storage.reminders): per kind on/off, and quiet hours as minutes
    # after midnight in the zone of what a reminder is about (both None: no quiet hours).
    remind_desks: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    remind_coaching: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    remind_events: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    quiet_from: Mapped[int | None] = mapped_column(SmallInteger, default=22 * 60)
    quiet_until: Mapped[int | None] = mapped_column(SmallInteger, default=8 * 60)


@dataclass(frozen=True, slots=True)
class Profile:
    """What Telegram tells about a person with every update."""

    id: int
    first_name: str
    last_name: str | None
    username: str | None


@dataclass(frozen=True, slots=True)
class Person:
    """What handlers need to know about the user of an update."""

    id: int
    locale: str | None
    is_admin: bool
    is_coach: bool


async def touch(session: AsyncSession, profile: Profile, *, is_admin: bool) -> Person:
    """Create the user on first contact, refresh the profile and last_seen_at otherwise."""
    now = utcnow()
    values = {
        "first_name": profile.first_name[:128],
        "last_name": (profile.last_name or None) and profile.last_name[:128],
        "username": profile.username,
        "last_seen_at": now,
        "blocked_at": None,
    }
    statement = insert(session, User).values(
        id=profile.id, created_at=now, is_admin=is_admin, **values
    )
    statement = statement.on_conflict_do_update(index_elements=[User.id], set_=values)
    await session.execute(statement)
    user = (await session.execute(select(User).where(User.id == profile.id))).scalar_one()
    return Person(user.id, user.locale, user.is_admin or is_admin, user.is_coach)


async def get_person(session: AsyncSession, user_id: int) -> Person | None:
    user = await session.get(User, user_id)
    if user is None:
        return None
    return Person(user.id, user.locale, user.is_admin, user.is_coach)


async def set_locale(session: AsyncSession, user_id: int, locale: str) -> None:
    await session.execute(update(User).where(User.id == user_id).values(locale=locale))


async def set_roles(
    session: AsyncSession,
    user_id: int,
    *,
    is_admin: bool | None = None,
    is_coach: bool | None = None,
) -> None:
    values = {
        key: value
        for key, value in (("is_admin", is_admin), ("is_coach", is_coach))
        if value is not None
    }
    if values:
        await session.execute(update(User).where(User.id == user_id).values(**values))


async def sync_admins(session: AsyncSession, admin_ids: Iterable[int]) -> None:
    """Make exactly `admin_ids` the admins (ADMIN_IDS is the truth at start): someone taken
    out of it stops being one, though their row said otherwise."""
    ids = set(admin_ids)
    await session.execute(
        update(User).where(User.is_admin.is_(True), User.id.not_in(ids)).values(is_admin=False)
    )
    if ids:
        await session.execute(
            update(User).where(User.is_admin.is_(False), User.id.in_(ids)).values(is_admin=True)
        )


async def mark_blocked(session: AsyncSession, user_id: int) -> None:
    """Telegram said the user blocked the bot: stop writing to them until they come back."""
    await session.execute(
        update(User)
        .where(User.id == user_id, User.blocked_at.is_(None))
        .values(blocked_at=utcnow())
    )


async def admins(session: AsyncSession, configured: frozenset[int]) -> list[User]:
    """The admins: those of ADMIN_IDS who have started the bot and those made admins since."""
    rows = await session.scalars(
        select(User).where(or_(User.is_admin.is_(True), User.id.in_(configured))).order_by(User.id)
    )
    return list(rows)


async def is_admin_now(session: AsyncSession, user_id: int) -> bool:
    """Whether the user is an admin by the database, not by a cache (a role just taken away
    stops working at once, on every instance)."""
    return bool(await session.scalar(select(User.is_admin).where(User.id == user_id)))


async def reachable_staff(session: AsyncSession, configured: frozenset[int]) -> list[int]:
    """The staff the bot can write to (hand-offs, operational notices): the configured admins
    and users marked as admins, of those who have started the bot (Telegram lets a bot write
    only to people who have) and have not blocked it since."""
    reachable = await session.execute(
        select(User.id).where(
            or_(User.is_admin.is_(True), User.id.in_(configured)), User.blocked_at.is_(None)
        )
    )
    return sorted(reachable.scalars())


class Directory:
    """Who is who, cached so that an ordinary update costs no query.

    A person is written on first contact, when their Telegram profile changes, and at most
    once per `refresh` seconds otherwise (that keeps `last_seen_at` honest to within it).
    """

    def __init__(
        self,
        *,
        admin_ids: Iterable[int] = (),
        refresh: float = 300.0,
        size: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.admin_ids = frozenset(admin_ids)
        self._refresh = refresh
        self._size = size
        self._clock = clock
        self._cache: OrderedDict[int, tuple[Person, Profile, float]] = OrderedDict()

    async def resolve(self, session: AsyncSession, profile: Profile) -> Person:
        now = self._clock()
        cached = self._cache.get(profile.id)
        if cached is not None and cached[1] == profile and now - cached[2] < self._refresh:
            return cached[0]
        person = await touch(session, profile, is_admin=profile.id in self.admin_ids)
        self._cache[profile.id] = (person, profile, now)
        self._cache.move_to_end(profile.id)
        if len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return person

    async def set_locale(self, session: AsyncSession, person: Person, locale: str) -> Person:
        """Store the user's language and answer with it from now on."""
        await set_locale(session, person.id, locale)
        updated = replace(person, locale=locale)
        if (cached := self._cache.get(person.id)) is not None:
            self._cache[person.id] = (updated, cached[1], cached[2])
        return updated

    def cached(self, user_id: int) -> Person | None:
        """The person as last seen, without a query (None when not in the cache)."""
        entry = self._cache.get(user_id)
        return entry[0] if entry else None

    def forget(self, user_id: int) -> None:
        """Drop the cached person, so the next update reads them again."""
        self._cache.pop(user_id, None)


async def users_by_id(session: AsyncSession, user_ids: Iterable[int]) -> dict[int, User]:
    """The users with these ids (for staff lists and exports)."""
    ids = set(user_ids)
    if not ids:
        return {}
    rows = await session.scalars(select(User).where(User.id.in_(ids)))
    return {user.id: user for user in rows}
