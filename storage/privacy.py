"""What the bot keeps about a person, for the person (the GDPR's rights of access and to
erasure): everything gathered for /mydata; the person's live bookings ended and their records
anonymised for /forgetme; old question texts anonymised by the retention job.

Anonymised records stay for statistics with no name and no id. Bookings, sessions,
registrations and waitlist places go to a stand-in made for each erased person: an empty
users row with a random negative id (Telegram's are positive), so that the rules the database
keeps one per person (a registration per event, a desk per half-day) still hold when two
erased people did the same thing. Question texts lose their asker altogether: they go to
`ANONYMOUS`, the one row that stands for nobody.
"""

from __future__ import annotations

import re
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit, coaching, desks, faq_log, outbox
from storage.audit import AuditEntry
from storage.base import Base, insert, utcnow
from storage.broadcasts.tables import Broadcast
from storage.coaching.sessions import Limits
from storage.coaching.tables import Coach, CoachCell, CoachingSession, CoachInvite
from storage.coaching.tables import Refused as CoachingRefused
from storage.desks import DeskBooking, DeskSlot, Status, waitlist
from storage.desks.places import ClosedDay, DeskRow, Location, Places
from storage.desks.waitlist import WaitlistEntry, WaitStatus
from storage.events import seats
from storage.events.tables import Event, Registration
from storage.faq_log import FaqQuestion
from storage.fsm import FSMRecord
from storage.outbox import OutboxMessage
from storage.users import User

ANONYMOUS = 0  # the asker of every anonymised question
_NOT_EXPORTED = {CoachingSession: {"coach_note"}}  # the coach's own note, private to them


def is_erased(user_id: int) -> bool:
    """The row stands for nobody, or for someone erased (their name is not to be shown)."""
    return user_id <= ANONYMOUS


async def is_staff(session: AsyncSession, user_id: int, configured: frozenset[int]) -> bool:
    """Admins and coaches (a retired coach's profile too) are not erased by themselves: the
    staff take their role away first, since other people's records name them."""
    if user_id in configured:
        return True
    user = await session.get(User, user_id, populate_existing=True)
    if user is not None and (user.is_admin or user.is_coach):
        return True
    return await session.get(Coach, user_id) is not None


# --- /mydata --------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime | date) else value


def _row(row: Base, **extra: Any) -> dict[str, Any]:
    skip = _NOT_EXPORTED.get(type(row), set())
    columns = row.__table__.columns  # type: ignore[attr-defined]
    values = {c.key: _plain(getattr(row, c.key)) for c in columns if c.key not in skip}
    return {**values, **extra}


async def gather(session: AsyncSession, user_id: int) -> dict[str, Any]:
    """Everything stored about the person, as a JSON-ready document (their conversation
    state is the caller's to add: it lives in the FSM storage)."""
    user = await session.get(User, user_id)
    coach = await session.get(Coach, user_id)
    bookings = await session.execute(
        select(DeskBooking, Location.key, DeskRow.label)
        .join(Location, Location.id == DeskBooking.location_id)
        .join(DeskRow, DeskRow.id == DeskBooking.desk_id)
        .where(DeskBooking.user_id == user_id)
        .order_by(DeskBooking.starts_at, DeskBooking.id)
    )
    places = await session.execute(
        select(WaitlistEntry, Location.key)
        .join(Location, Location.id == WaitlistEntry.location_id)
        .where(WaitlistEntry.user_id == user_id)
        .order_by(WaitlistEntry.day, WaitlistEntry.id)
    )
    sessions = await session.execute(
        select(CoachingSession, Coach.name)
        .join(Coach, Coach.user_id == CoachingSession.coach_id)
        .where(CoachingSession.user_id == user_id)
        .order_by(CoachingSession.starts_at, CoachingSession.id)
    )
    registrations = await session.execute(
        select(Registration, Event)
        .join(Event, Event.id == Registration.event_id)
        .where(Registration.user_id == user_id)
        .order_by(Event.starts_at, Registration.id)
    )
    questions = await session.scalars(
        select(FaqQuestion).where(FaqQuestion.user_id == user_id).order_by(FaqQuestion.id)
    )
    pending = await session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.chat_id == user_id, OutboxMessage.state == outbox.State.PENDING)
        .order_by(OutboxMessage.due_at, OutboxMessage.id)
    )
    actions = await session.scalars(
        select(AuditEntry).where(AuditEntry.actor_id == user_id).order_by(AuditEntry.id)
    )
    return {
        "profile": _row(user) if user is not None else None,
        "coach_profile": _row(coach) if coach is not None else None,
        "desk_bookings": [_row(b, location=loc, desk=desk) for b, loc, desk in bookings],
        "desk_waitlist": [_row(entry, location=loc) for entry, loc in places],
        "coaching_sessions": [_row(s, coach=name) for s, name in sessions],
        "event_registrations": [
            _row(r, event_title=e.titles, event_starts_at=_plain(e.starts_at))
            for r, e in registrations
        ],
        "faq_questions": [_row(question) for question in questions],
        "pending_messages": [{"kind": m.kind, "due_at": _plain(m.due_at)} for m in pending],
        "admin_actions": [
            {"at": _plain(a.at), "action": a.action, "target": a.target} for a in actions
        ],
    }


# --- /forgetme ------------------------------------------------------------------------------


@dataclass(slots=True)
class Ended:
    """What ending a person's live bookings did, for the caller to tell the people concerned."""

    desks: list[DeskBooking] = field(default_factory=list)  # freed (reminders to drop)
    offers: list[DeskBooking] = field(default_factory=list)  # to the next in line
    sessions: list[tuple[CoachingSession, str]] = field(default_factory=list)  # + was
    seated: dict[int, list[Registration]] = field(default_factory=dict)  # event -> promoted


async def end_live(session: AsyncSession, places: Places, user_id: int, now: datetime) -> Ended:
    """Before an erasure: the person leaves every waitlist; their desks (booked, offered or
    under way) are freed and offered to the people in line; their coaching requests and
    sessions that have not started are withdrawn or cancelled; their event seats and places
    end, each freed seat going to the next in line."""
    ended = Ended()
    await session.execute(  # first: a freed desk must not be offered to them again
        update(WaitlistEntry)
        .where(WaitlistEntry.user_id == user_id, WaitlistEntry.status == WaitStatus.WAITING)
        .values(status=WaitStatus.LEFT, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    later, under_way = [], []
    for booking in await desks.upcoming(session, user_id, now):
        if booking.status == Status.HELD:  # a desk offered to them: declined
            try:
                await waitlist.decline(session, booking.id, user_id, now)
            except desks.Refused:  # lapsed meanwhile
                continue
        elif not await desks.release(session, booking, Status.CANCELLED, now, reason="erased"):
            continue
        (under_way if booking.starts_at <= now else later).append(booking)
    ended.desks = later + under_way
    ended.offers = await waitlist.refill_after(session, places, later, now)
    ended.offers += await waitlist.refill_after(session, places, under_way, now, started=True)
    anytime = Limits(cancel_cutoff=timedelta(0))  # until it starts, whatever the cut-off
    for booked in await coaching.upcoming(session, user_id, now):
        try:
            ended.sessions.append(
                await coaching.cancel_by_user(session, booked.id, user_id, now, anytime)
            )
        except CoachingRefused:  # under way, or answered meanwhile
            continue
    seated: defaultdict[int, list[Registration]] = defaultdict(list)
    for registration in (await seats.forget_person(session, user_id, now)).promoted:
        seated[registration.event_id].append(registration)
    ended.seated = dict(seated)
    return ended


async def anonymous(session: AsyncSession) -> int:
    """The row that stands for nobody (made on first need): the asker of anonymised questions."""
    await _stand_in(session, ANONYMOUS)
    return ANONYMOUS


async def _stand_in(session: AsyncSession, user_id: int) -> None:
    """An empty users row that nobody writes to or from (blocked, no reminders)."""
    now = utcnow()
    values = {
        "id": user_id,
        "first_name": "",
        "created_at": now,
        "last_seen_at": now,
        "blocked_at": now,
        "remind_desks": False,
        "remind_coaching": False,
        "remind_events": False,
        "quiet_from": None,
        "quiet_until": None,
    }
    statement = insert(session, User).values(**values)
    await session.execute(statement.on_conflict_do_nothing(index_elements=[User.id]))


async def anonymise(session: AsyncSession, user_id: int) -> int:
    """Erase the person: what is kept for statistics goes to a stand-in of theirs (its id is
    returned) or to nobody, without their words; the messages still waiting for them are
    dropped; the users row goes. Their live bookings must have been ended (`end_live`), and
    the notices that calls for written, first."""
    await session.flush()  # the notices just written, and every change before, are rows now
    await outbox.drop_for_chat(session, user_id, "erased")
    stand_in = -(secrets.randbelow(2**52) + 1)
    await _stand_in(session, stand_in)
    nobody = await anonymous(session)

    async def move(column: Any, to: int | None, **values: Any) -> None:
        await session.execute(
            update(column.class_)
            .where(column == user_id)
            .values({column.key: to, **values})
            .execution_options(synchronize_session=False)
        )

    await move(FaqQuestion.user_id, nobody, text="")
    await move(FaqQuestion.staff_replied_by, None)
    for column in (
        DeskBooking.user_id, DeskSlot.user_id, WaitlistEntry.user_id, CoachCell.user_id,
        Registration.user_id, CoachInvite.created_by,
    ):  # fmt: skip
        await move(column, stand_in)
    # their words, the coach's about them, and a decline's reason go; times and ratings stay
    await move(
        CoachingSession.user_id, stand_in, topic="", comment=None, reason=None, coach_note=None
    )
    await move(CoachInvite.used_by, None)
    await move(ClosedDay.closed_by, None)
    await move(Broadcast.author_id, None)
    await move(OutboxMessage.chat_id, stand_in, params={}, message_id=None)
    await audit.forget_actor(session, user_id)
    await _scrub_audit(session, user_id)
    if keys := await conversation_keys(session, user_id):
        await session.execute(delete(FSMRecord).where(FSMRecord.key.in_(keys)))
    await session.execute(delete(User).where(User.id == user_id))
    return stand_in


async def _scrub_audit(session: AsyncSession, user_id: int) -> None:
    """Entries about the person ("admin 1001") keep the action, not who it was done to."""
    number = re.compile(rf"(?<!\d){user_id}(?!\d)")
    mention = f"%{user_id}%"
    entries = await session.scalars(
        select(AuditEntry).where(
            or_(AuditEntry.target.like(mention), cast(AuditEntry.details, String).like(mention))
        )
    )
    for entry in entries:
        if entry.target and number.search(entry.target):
            entry.target = number.sub("—", entry.target)
        if number.search(str(entry.details)):
            entry.details = {}


async def conversation_keys(session: AsyncSession, user_id: int) -> list[str]:
    """The SQL conversation states of the person, in any chat ("fsm:CHAT[:THREAD]:USER:DESTINY",
    aiogram's DefaultKeyBuilder with destinies)."""
    keys = await session.scalars(select(FSMRecord.key).where(FSMRecord.key.like(f"%:{user_id}:%")))
    return [key for key in keys if key.split(":")[-2:-1] == [str(user_id)]]


async def anonymise_questions_before(session: AsyncSession, moment: datetime) -> int:
    """The retention rule for questions (`faq_log.anonymise_before`), the row for nobody made
    only once there is something to give it."""
    due = await session.scalar(
        select(FaqQuestion.id)
        .where(
            FaqQuestion.created_at < moment,
            or_(FaqQuestion.user_id != ANONYMOUS, FaqQuestion.staff_replied_by.is_not(None)),
        )
        .limit(1)
    )
    if due is None:
        return 0
    return await faq_log.anonymise_before(session, moment, await anonymous(session))
