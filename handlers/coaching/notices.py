"""Messages the bot sends on its own about coaching — a request to the coach, the coach's
answer to the entrepreneur, reminders, the edits that take the buttons off a request nobody
can answer any more — as outbox rows written with the change that causes them, and their
renderers (run at send time, in the recipient's language, from the state of then)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from aiogram.utils.i18n import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.coaching import screens
from handlers.coaching.afterwards import ASK_RATING, WRAP_UP
from handlers.coaching.texts import html, minutes_of, when, zone_of
from scheduler.delivery import Rendered, Renderer, render_time
from storage import coaching, outbox, reminders
from storage.coaching.tables import Coach, CoachingSession, Status
from storage.desks.places import Places
from storage.outbox import OutboxMessage
from storage.reminders import Kind
from storage.users import User

REQUEST, NUDGE, MOVE_ASKED, COACH_EDIT = (
    "coach.request", "coach.nudge", "coach.move_asked", "coach.refresh",
)  # fmt: skip
TO_COACH, TO_USER, PROPOSAL, USER_EDIT = (
    "coach.to_coach", "coach.to_user", "coach.proposal", "coach.user_refresh",
)  # fmt: skip
REMINDER, NOTE = "coach.reminder", "coach.note"
COACH_BUTTONS = (REQUEST, NUDGE, MOVE_ASKED)  # the coach's messages with buttons on a session
USER_BUTTONS = (PROPOSAL,)
LEADS = (timedelta(hours=24), timedelta(hours=1))
LATE_DAY_REMINDER = timedelta(hours=2)  # the day-before reminder is no use closer than this


def requested(session: AsyncSession, booked: CoachingSession, now: datetime) -> None:
    """A new request: the coach hears of it now and, if it still waits, half way to expiry."""
    outbox.enqueue(session, booked.coach_id, REQUEST, ref=booked.id, due_at=now)
    if booked.expires_at is not None and booked.expires_at > now:
        halfway = now + (booked.expires_at - now) / 2
        outbox.enqueue(
            session, booked.coach_id, NUDGE, ref=booked.id, due_at=halfway,
            useful_until=booked.expires_at,
        )  # fmt: skip


def refresh(session: AsyncSession, booked: CoachingSession, now: datetime) -> None:
    """The session changed: the messages sent about it with buttons are edited to say how it
    stands now (nothing to edit is nothing sent)."""
    outbox.enqueue(session, booked.coach_id, COACH_EDIT, ref=booked.id, due_at=now)
    outbox.enqueue(session, booked.user_id, USER_EDIT, ref=booked.id, due_at=now)


def tell_user(
    session: AsyncSession, booked: CoachingSession, event: str, now: datetime, **params: object
) -> None:
    """The entrepreneur hears what happened (`event`: confirmed, declined, expired, cancelled,
    retired, moved, kept, lapsed, late)."""
    kind = PROPOSAL if event == "proposed" else TO_USER
    params = {"event": event, **params}
    outbox.enqueue(session, booked.user_id, kind, ref=booked.id, params=params, due_at=now)
    refresh(session, booked, now)


def tell_coach(session: AsyncSession, booked: CoachingSession, event: str, now: datetime) -> None:
    """The coach hears what the entrepreneur did (`event`: withdrawn, cancelled, taken,
    refused, move, lapsed)."""
    kind = MOVE_ASKED if event == "move" else TO_COACH
    params = {"event": event}
    outbox.enqueue(session, booked.coach_id, kind, ref=booked.id, params=params, due_at=now)
    refresh(session, booked, now)


def note_to_coach(session: AsyncSession, booked: CoachingSession, text: str, now: datetime) -> None:
    """The entrepreneur's own words to the coach about a session (too late to cancel)."""
    outbox.enqueue(session, booked.coach_id, NOTE, ref=booked.id, params={"text": text}, due_at=now)


def running_late(
    session: AsyncSession, booked: CoachingSession, minutes: int, now: datetime
) -> None:
    outbox.enqueue(
        session, booked.user_id, TO_USER, ref=booked.id, due_at=now, useful_until=booked.ends_at,
        params={"event": "late", "minutes": minutes},
    )  # fmt: skip


AFTER = timedelta(days=7)  # "How was it?" and the coach's wrap-up stay useful this long


async def plan(session: AsyncSession, booked: CoachingSession, coach: Coach, now: datetime) -> None:
    """A confirmed session's reminders, 24 hours and 1 hour before, to each side that wants
    coaching reminders (moved out of their quiet hours, in the coach's zone)."""
    await forget(session, booked)
    for chat_id in (booked.user_id, booked.coach_id):
        wanted = await reminders.preferences(session, chat_id)
        if not wanted.wants(Kind.COACHING):
            continue
        for lead in LEADS:
            hours = int(lead.total_seconds() // 3600)
            useful_until = booked.starts_at - (LATE_DAY_REMINDER if hours > 1 else timedelta(0))
            due = reminders.fit(booked.starts_at - lead, useful_until, wanted.quiet, zone_of(coach))
            if due is not None and due > now:
                outbox.enqueue(
                    session, chat_id, REMINDER, ref=booked.id, due_at=due,
                    useful_until=useful_until, params={"hours": hours},
                )  # fmt: skip
    until = booked.ends_at + AFTER
    for chat_id, kind in ((booked.user_id, ASK_RATING), (booked.coach_id, WRAP_UP)):
        outbox.enqueue(
            session, chat_id, kind, ref=booked.id, due_at=booked.ends_at, useful_until=until
        )


async def replan(session: AsyncSession, user_id: int, now: datetime) -> None:
    """The person changed their reminder settings: plan their sessions' reminders again, as
    an entrepreneur and as a coach."""
    rows = await session.scalars(
        select(CoachingSession).where(
            or_(CoachingSession.user_id == user_id, CoachingSession.coach_id == user_id),
            CoachingSession.status == Status.CONFIRMED,
            CoachingSession.starts_at > now,
        )
    )
    for booked in list(rows):
        coach = await session.get(Coach, booked.coach_id)
        if coach is not None:
            await plan(session, booked, coach, now)


async def forget(session: AsyncSession, booked: CoachingSession) -> None:
    await outbox.drop(
        session, [REMINDER, NUDGE, ASK_RATING, WRAP_UP], [booked.id], "session changed"
    )


def _headline(event: str) -> str:
    return {
        "confirmed": _("✅ The coach accepted your request."),
        "declined": _("The coach could not take your request."),
        "expired": _(
            "The coach did not answer in time, so the request has expired and the time is free "
            "again."
        ),
        "cancelled": _("The coach had to cancel your session."),
        "retired": _("The coach no longer takes sessions, so this session is off."),
        "moved": _("✅ The coach accepted the new time."),
        "kept": _("The coach could not move the session: the original time stands."),
        "lapsed": _(
            "The coach did not answer your request to move the session in time: the original "
            "time stands."
        ),
        "proposed": _("🔁 The coach cannot make the time you asked for and proposes another one."),
    }.get(event, "")


def _coach_headline(event: str) -> str:
    return {
        "withdrawn": _("↩ The entrepreneur withdrew the request."),
        "cancelled": _("↩ The entrepreneur cancelled the session."),
        "taken": _("✅ The entrepreneur took the time you proposed: the session is confirmed."),
        "refused": _("The entrepreneur turned down the time you proposed."),
        "move": _("🔁 The entrepreneur asks to move a confirmed session."),
        "lapsed": _(
            "You did not answer the request to move the session in time: the original time stands."
        ),
    }.get(event, "")


def renderers(places: Places) -> dict[str, Renderer]:
    async def found(
        session: AsyncSession, row: OutboxMessage
    ) -> tuple[CoachingSession, Coach] | None:
        return await coaching.with_coach(session, row.ref)

    async def request(session: AsyncSession, row: OutboxMessage) -> Sequence[Rendered] | None:
        if (pair := await found(session, row)) is None or pair[0].status != Status.PENDING:
            return None  # withdrawn or expired before it went out
        text, markup = await screens.for_coach(session, *pair, places, render_time())
        return [Rendered(text, markup)]

    async def nudge(session: AsyncSession, row: OutboxMessage) -> Sequence[Rendered] | None:
        if (pair := await found(session, row)) is None or pair[0].status != Status.PENDING:
            return None
        text, markup = await screens.for_coach(session, *pair, places, render_time())
        return [Rendered(_("⏰ A request still waits for your answer.") + "\n\n" + text, markup)]

    async def coach_edit(session: AsyncSession, row: OutboxMessage) -> Sequence[Rendered] | None:
        if (pair := await found(session, row)) is None or pair[0].status == Status.PENDING:
            return None  # (a pending request's messages stand as sent)
        sent = await outbox.sent_messages(session, row.chat_id, COACH_BUTTONS, pair[0].id)
        if not sent:
            return None
        text, markup = await screens.for_coach(session, *pair, places, render_time())
        return [Rendered(text, markup, edit=message_id) for message_id in sent]

    async def user_edit(session: AsyncSession, row: OutboxMessage) -> Sequence[Rendered] | None:
        if (pair := await found(session, row)) is None or pair[0].status == Status.PROPOSED:
            return None  # (the proposal stands as sent)
        sent = await outbox.sent_messages(session, row.chat_id, USER_BUTTONS, pair[0].id)
        if not sent:
            return None
        text, markup = await screens.for_user(session, *pair, places, render_time())
        return [Rendered(text, markup, edit=message_id) for message_id in sent]

    async def to_user(session: AsyncSession, row: OutboxMessage) -> Sequence[Rendered] | None:
        if (pair := await found(session, row)) is None:
            return None
        event = str(row.params.get("event"))
        if event == "proposed" and pair[0].status != Status.PROPOSED:
            return None
        text, markup = await screens.for_user(session, *pair, places, render_time())
        headline = _headline(event)
        if event == "late":
            headline = _(
                "⏱ Your coach is running {minutes} minutes late. Sorry for the wait!"
            ).format(minutes=int(row.params.get("minutes", 0)))
        return [Rendered(f"{headline}\n\n{text}" if headline else text, markup)]

    async def to_coach(session: AsyncSession, row: OutboxMessage) -> Sequence[Rendered] | None:
        if (pair := await found(session, row)) is None:
            return None
        event = str(row.params.get("event"))
        if event == "move" and pair[0].move_starts_at is None:
            return None
        text, markup = await screens.for_coach(session, *pair, places, render_time())
        if event != "move":  # a notice; the buttons live on the request (edited meanwhile)
            markup = None
        headline = _coach_headline(event)
        return [Rendered(f"{headline}\n\n{text}" if headline else text, markup)]

    async def reminder(session: AsyncSession, row: OutboxMessage) -> Sequence[Rendered] | None:
        if (pair := await found(session, row)) is None:
            return None
        booked, coach = pair
        if booked.status != Status.CONFIRMED or booked.starts_at <= render_time():
            return None
        if not (await reminders.preferences(session, row.chat_id)).wants(Kind.COACHING):
            return None
        hours = int(row.params.get("hours", 24))
        headline = (
            _("⏰ <b>Your coaching session is in an hour</b>")
            if hours == 1
            else _("⏰ <b>A reminder of your coaching session</b>")
        )
        if row.chat_id == booked.coach_id:
            text, markup = await screens.for_coach(session, booked, coach, places, render_time())
        else:
            text, markup = await screens.for_user(session, booked, coach, places, render_time())
        return [Rendered(f"{headline}\n\n{text}", markup)]

    async def note(session: AsyncSession, row: OutboxMessage) -> Sequence[Rendered] | None:
        if (pair := await found(session, row)) is None:
            return None
        booked, coach = pair
        user = await session.get(User, booked.user_id)
        text = _("✉️ <b>A message from {name}</b> about your session on {when}:\n\n{text}").format(
            name=html(screens.person_name(user)),
            when=when(booked.starts_at, zone_of(coach), minutes_of(booked)),
            text=html(str(row.params.get("text", ""))),
        )
        return [Rendered(text)]

    return {
        NOTE: note,
        REQUEST: request,
        NUDGE: nudge,
        COACH_EDIT: coach_edit,
        USER_EDIT: user_edit,
        TO_USER: to_user,
        PROPOSAL: to_user,
        TO_COACH: to_coach,
        MOVE_ASKED: to_coach,
        REMINDER: reminder,
    }
