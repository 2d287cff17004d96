"""`/export users|bookings|sessions|events|faq FROM TO` for admins, in a private chat: the
rows of a date range (both days included) as a CSV document, written to the audit log.

Every file is UTF-8 with a byte-order mark (spreadsheet programs then read Cyrillic and ä
right) and no cell of it can run as a formula (`content.spreadsheet.safe_cell`): names and
questions are typed by anyone. Desk bookings and coaching sessions use their features' own
builders, so the same rows look the same whichever command exported them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from content.spreadsheet import safe_cell
from handlers.coaching.afterwards import sessions_csv
from handlers.desks.staff import MAX_EXPORT_DAYS, bookings_csv, date_range
from handlers.events.texts import plain_title
from handlers.ui.filters import staff_router
from storage import audit, desks, exports
from storage.coaching import afterwards
from storage.coaching.tables import Coach
from storage.desks.places import Places
from storage.events.tables import Event, Registration
from storage.faq_log import FaqQuestion
from storage.users import Person, User, users_by_id

KINDS = ("users", "bookings", "sessions", "events", "faq")
USER_COLUMNS = ("user_id", "name", "username", "language", "roles", "created_at_utc",
                "last_seen_at_utc", "blocked_at_utc")  # fmt: skip
FAQ_COLUMNS = ("asked_at_utc", "language", "question", "outcome", "entry", "vote")
EVENT_COLUMNS = ("event_id", "event", "starts_at_utc", "event_status", "user_id", "first_name",
                 "username", "status", "attended", "since_utc")  # fmt: skip


def usage() -> str:
    return _(
        "Usage: /export WHAT FROM TO, where WHAT is users, bookings, sessions, events or faq "
        "and FROM and TO are dates (both included, at most {days} days apart), e.g. "
        "/export bookings 2026-12-01 2026-12-31"
    ).format(days=MAX_EXPORT_DAYS)


def _stamp(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else ""


def table(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A CSV of `rows` under `columns`: UTF-8 with a byte-order mark, formulas neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return out.getvalue().encode("utf-8-sig")


def users_csv(users: Sequence[User]) -> bytes:
    def line(user: User) -> tuple[object, ...]:
        name = " ".join(part for part in (user.first_name, user.last_name) if part)
        roles = [
            role for role, held in (("admin", user.is_admin), ("coach", user.is_coach)) if held
        ]
        return (
            user.id, name, user.username or "", user.locale or "", ",".join(roles),
            _stamp(user.created_at), _stamp(user.last_seen_at), _stamp(user.blocked_at),
        )  # fmt: skip

    return table(USER_COLUMNS, (line(user) for user in users))


def faq_csv(questions: Sequence[FaqQuestion]) -> bytes:
    votes = {True: "up", False: "down", None: ""}
    return table(
        FAQ_COLUMNS,
        (
            (
                _stamp(q.created_at),
                q.language,
                q.text,
                q.outcome,
                q.entry_id or "",
                votes[q.helpful],
            )
            for q in questions
        ),
    )


def events_csv(rows: Sequence[tuple[Registration, Event]], people: dict[int, User]) -> bytes:
    """Like an event's own report (`/event_report`), with the event named on every row."""

    def line(row: Registration, event: Event) -> tuple[object, ...]:
        user = people.get(row.user_id)
        return (
            event.id, plain_title(event), _stamp(event.starts_at), event.status, row.user_id,
            user.first_name if user else "", (user.username or "") if user else "", row.status,
            int(row.attended), _stamp(row.queued_at),
        )  # fmt: skip

    return table(EVENT_COLUMNS, (line(row, event) for row, event in rows))


async def _rows(
    session: AsyncSession, places: Places, what: str, first: date, last: date
) -> tuple[int, bytes]:
    """How many rows, and the file."""
    if what == "users":
        users = await exports.users_created(session, first, last)
        return len(users), users_csv(users)
    if what == "faq":
        questions = await exports.questions_asked(session, first, last)
        return len(questions), faq_csv(questions)
    if what == "bookings":
        bookings = await desks.between(session, first, last)
        people = await users_by_id(session, (b.user_id for b in bookings))
        return len(bookings), bookings_csv(places, bookings, people)
    if what == "sessions":
        sessions = await afterwards.between(session, first, last)
        coaches = {c.user_id: c for c in await session.scalars(select(Coach))}
        people = await users_by_id(session, (s.user_id for s in sessions))
        return len(sessions), sessions_csv(sessions, coaches, people)
    registrations = await exports.registrations(session, first, last)
    people = await users_by_id(session, (row.user_id for row, _event in registrations))
    return len(registrations), events_csv(registrations, people)


async def export(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    person: Person,
    places: Places,
    bot: Bot,
) -> None:
    what, _space, dates = (command.args or "").strip().partition(" ")
    what = what.lower()
    if what not in KINDS:
        await message.answer(usage())
        return
    span = date_range(dates, f"/export {what}")
    if isinstance(span, str):
        await message.answer(f"{span}\n\n{usage()}")
        return
    first, last = span
    count, data = await _rows(session, places, what, first, last)
    audit.record(
        session, person.id, audit.Action.EXPORT, target=f"{what} {first}..{last}",
        details={"rows": count},
    )  # fmt: skip
    await bot.send_document(
        message.chat.id,
        BufferedInputFile(data, filename=f"{what}-{first}-{last}.csv"),
        caption=ngettext(
            "{count} row, {first} to {last}.", "{count} rows, {first} to {last}.", count
        ).format(count=count, first=first, last=last),
    )


def create_router() -> Router:
    router = staff_router(__name__)
    router.message.register(export, Command("export"))
    return router
