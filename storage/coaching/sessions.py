"""Coaching sessions: request, answer (accept, decline, propose another time), move, cancel,
expire, and the lists people and coaches see.

A step that changes a session is a conditional UPDATE on the status it expects, so of two
answers to one request (two instances, a double tap, the expiry job) exactly one wins; a
session's time is held by its cells (`storage.coaching.tables`), claimed in one statement.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.coaching import slots
from storage.coaching.coaches import active_coach, availability_of, modes_of
from storage.coaching.slots import Availability, cell_of, cells, local_day
from storage.coaching.tables import (
    CELL_SECONDS,
    LIVE,
    WAITING,
    Coach,
    CoachBlockedDay,
    CoachCell,
    CoachingSession,
    CoachWindow,
    Reason,
    Refused,
    Status,
)
from storage.desks.places import Places
from storage.tally import tally

ANSWER_WITHIN = timedelta(hours=24)  # a request not answered by then expires
MIN_TOPIC, MAX_TOPIC = 10, 1000
MAX_REASON = 300


@dataclass(frozen=True, slots=True)
class Limits:
    """How many pending-or-upcoming sessions a person may hold (the location's settings)."""

    per_coach: int = 2
    total: int = 3
    cancel_cutoff: timedelta = timedelta(hours=12)  # an entrepreneur cancels until then


def limits_of(coach: Coach, places: Places) -> Limits:
    """The limits of the location where the coach meets (the defaults for one online only)."""
    place = places.get(coach.location_id) if coach.location_id is not None else None
    if place is None:
        return Limits()
    rules = place.rules
    return Limits(per_coach=rules.coach_sessions_per_coach, total=rules.coach_sessions_total)


# --- free time ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Held:
    """A coach's held time as cell ranges, the first cell of each live session, and, when
    asked for a person, that person's pending or upcoming sessions with the coach and in all."""

    spans: list[tuple[int, int]]
    starts: list[int]
    with_coach: int = 0
    in_all: int = 0


async def coach_time(
    session: AsyncSession,
    coach: Coach,
    since: datetime,
    until: datetime,
    *,
    besides: int = 0,
    person: tuple[int, datetime] | None = None,
) -> tuple[Availability, Held]:
    """The coach's availability and their held time between two moments (not that of session
    `besides`), read in one statement: a session holds its time and buffer, and while a change
    of time waits for an answer, the asked-for time as well. With `person` (id, now), that
    person's counts come in the same statement.

    The held ranges come back aggregated in one row (`from,to,from,to,…`, and how many
    sessions wait for a move): a busy coach has hundreds of sessions in the horizon, and one
    row reads far faster than hundreds."""
    params: dict[str, Any] = {
        "coach": coach.user_id, "first": cell_of(since), "last": cell_of(until) + 1,
        "besides": besides, "user": 0, "now": since,
    }  # fmt: skip
    if person is not None:
        params |= {"user": person[0], "now": person[1]}
    windows, row = [], None
    for kind, *values in await session.execute(_time_statement(), params):
        if kind == _HELD:
            row = values
        else:
            windows.append(values[:4])
    available = availability_of(coach, windows)
    assert row is not None  # an aggregate without GROUP BY gives one row, always
    packed, moving, with_coach, in_all = row[4:]
    bounds = list(map(int, packed.split(","))) if packed else []
    starts = bounds[0::2]
    spans = list(zip(starts, bounds[1::2], strict=True))
    if moving:
        rows = await session.execute(
            select(
                CoachingSession.held_from, CoachingSession.held_to, CoachingSession.move_starts_at
            ).where(
                CoachingSession.coach_id == coach.user_id,
                CoachingSession.status.in_(LIVE),
                CoachingSession.move_starts_at.is_not(None),
                CoachingSession.id != besides,
            )
        )
        for held_from, held_to, move_starts_at in rows:
            moved = cell_of(move_starts_at)
            spans.append((moved, moved + held_to - held_from))
    return available, Held(spans, starts, int(with_coach or 0), int(in_all or 0))


_WINDOW, _DAY_OFF, _HELD = 0, 1, 2  # the kinds of row of `_time_statement`


@lru_cache(maxsize=1)
def _time_statement() -> Any:
    """Built once: this is read on every screen of free times and every request, and
    building and keying a statement this size costs more than running it.

    Rows of (kind, weekday, day, start minute, end minute, held ranges, moving, the person's
    sessions with the coach, the person's sessions in all): the coach's windows, their blocked
    days (no minutes), and one row of held time. Plain tables, not ORM entities: no ORM
    loading is wanted, and it costs time."""
    window, off, held = (t.__table__.c for t in (CoachWindow, CoachBlockedDay, CoachingSession))
    theirs = CoachingSession.__table__.alias("theirs").c
    no_text, no_number = null().cast(String), null().cast(Integer)
    nothing = (no_text, no_number, no_number, no_number)
    windows = select(
        literal(_WINDOW, Integer), window.weekday, window.day, window.start_minute,
        window.end_minute, *nothing,
    ).where(window.coach_id == bindparam("coach"))  # fmt: skip
    days_off = select(
        literal(_DAY_OFF, Integer), no_number, off.day, no_number, no_number, *nothing
    ).where(off.coach_id == bindparam("coach"))
    upcoming = (
        theirs.user_id == bindparam("user"),
        theirs.status.in_(LIVE),
        theirs.ends_at > bindparam("now", type_=theirs.ends_at.type),
    )
    count = select(func.count()).correlate(None)
    pair = cast(held.held_from, String).concat(",").concat(cast(held.held_to, String))
    held_time = select(
        literal(_HELD, Integer), no_number, null().cast(Date), no_number, no_number,
        func.aggregate_strings(pair, ","), func.count(held.move_starts_at),
        count.where(*upcoming, theirs.coach_id == bindparam("coach")).scalar_subquery(),
        count.where(*upcoming).scalar_subquery(),
    ).where(
        held.coach_id == bindparam("coach"),
        held.status.in_(LIVE),
        held.id != bindparam("besides"),
        or_(
            and_(held.held_to > bindparam("first"), held.held_from < bindparam("last")),
            held.move_starts_at.is_not(None),
        ),
    )  # fmt: skip
    return union_all(windows, days_off, held_time)


def _around(days: Sequence[date]) -> tuple[datetime, datetime]:
    """From the day before the first to two days after the last, in UTC: what sessions on
    these local days (in any zone) and their buffers can touch."""
    since = datetime.combine(days[0] - timedelta(days=1), datetime.min.time(), UTC)
    until = datetime.combine(days[-1] + timedelta(days=2), datetime.min.time(), UTC)
    return since, until


async def free_slots(
    session: AsyncSession,
    coach: Coach,
    now: datetime,
    *,
    days: Sequence[date] | None = None,
    besides: int = 0,
) -> list[datetime]:
    """The coach's free slot starts (UTC, in order), up to the horizon or on `days`; the
    time of session `besides` counts as free (it is the one being moved)."""
    zone = ZoneInfo(coach.timezone)  # the days are known before the coach's rows are read
    span = slots.days_ahead(zone, coach.horizon_days, now) if days is None else sorted(days)
    if not span:
        return []
    available, held = await coach_time(session, coach, *_around(span), besides=besides)
    return slots.free_slots(available, now, held.spans, held.starts, span)


async def _check_slot(
    session: AsyncSession,
    coach: Coach,
    starts_at: datetime,
    now: datetime,
    *,
    besides: int = 0,
    person: int | None = None,
) -> tuple[Availability, Held]:
    """Refused (NO_SLOT) unless `starts_at` is one of the coach's free slots now; with
    `person`, the held time carries that person's counts."""
    day = local_day(starts_at, ZoneInfo(coach.timezone))
    available, held = await coach_time(
        session, coach, *_around([day]), besides=besides,
        person=(person, now) if person is not None else None,
    )  # fmt: skip
    if starts_at not in slots.free_slots(available, now, held.spans, held.starts, [day]):
        raise Refused(Reason.NO_SLOT)
    return available, held


# --- the cells ------------------------------------------------------------------------------


def _rows(
    coach: Coach, user_id: int, session_id: int, starts_at: datetime, *, move: bool = False
) -> list[dict[str, Any]]:
    own, pause = cells(starts_at, coach.session_minutes, coach.buffer_minutes)
    base = {"coach_id": coach.user_id, "user_id": user_id, "session_id": session_id, "move": move}
    return [{**base, "cell": cell, "buffer": False} for cell in own] + [
        {**base, "cell": cell, "buffer": True} for cell in pause
    ]


async def _claim(session: AsyncSession, rows: list[dict[str, Any]], session_id: int) -> bool:
    """Hold all of `rows` or none (one statement; a cell held already is skipped, and then
    what this statement did take is given back)."""
    if not rows:
        return True
    params = {"coach_id": rows[0]["coach_id"], "user_id": rows[0]["user_id"]}
    params |= {"session_id": rows[0]["session_id"], "move": rows[0]["move"]}
    for n, row in enumerate(rows):
        params |= {f"cell_{n}": row["cell"], f"buffer_{n}": row["buffer"]}
    result = await session.execute(_cell_insert(len(rows)), params)
    if result.rowcount == len(rows):  # type: ignore[attr-defined]
        return True
    taken = [row["cell"] for row in rows]
    await _drop_cells(session, CoachCell.session_id == session_id, CoachCell.cell.in_(taken))
    return False


@lru_cache(maxsize=64)
def _cell_insert(count: int) -> Any:
    """The INSERT of `count` cells ON CONFLICT DO NOTHING (SQLite and PostgreSQL spell it
    alike), built once per size as text: SQLAlchemy compiles a statement with a list of
    VALUES anew on every use, a text statement once."""
    columns = ("coach_id", "user_id", "session_id", "move", "cell", "buffer")
    shared = ":coach_id, :user_id, :session_id, :move"
    rows = ", ".join(f"({shared}, :cell_{n}, :buffer_{n})" for n in range(count))
    return text(
        f"INSERT INTO {CoachCell.__tablename__} ({', '.join(columns)}) VALUES {rows} "
        "ON CONFLICT DO NOTHING"
    )


async def _drop_cells(session: AsyncSession, *where: Any) -> None:
    """DELETE the cells `where` says (no cell is ever loaded as an object, so the ORM has
    nothing to synchronise: its evaluation of the criteria would cost more than the
    statement)."""
    await session.execute(
        delete(CoachCell).where(*where).execution_options(synchronize_session=False)
    )


async def _release(session: AsyncSession, session_id: int) -> None:
    await _drop_cells(session, CoachCell.session_id == session_id)


async def _own_cells(session: AsyncSession, session_id: int) -> set[int]:
    rows = await session.scalars(select(CoachCell.cell).where(CoachCell.session_id == session_id))
    return set(rows)


async def _hold_more(
    session: AsyncSession, coach: Coach, booked: CoachingSession, starts_at: datetime, move: bool
) -> None:
    """Hold the cells of another time for `booked`, besides those it holds already (TAKEN if
    any of them is someone else's)."""
    held = await _own_cells(session, booked.id)
    rows = [
        row
        for row in _rows(coach, booked.user_id, booked.id, starts_at, move=move)
        if row["cell"] not in held
    ]
    if not await _claim(session, rows, booked.id):
        raise Refused(Reason.TAKEN)


async def _settle_cells(session: AsyncSession, coach: Coach, booked: CoachingSession) -> None:
    """After a change of time: keep the cells of the session's (new) time, as its own."""
    own, pause = cells(booked.starts_at, coach.session_minutes, coach.buffer_minutes)
    wanted = [*own, *pause]
    await _drop_cells(session, CoachCell.session_id == booked.id, CoachCell.cell.not_in(wanted))
    for cell_range, buffer in ((pause, True), (own, False)):
        await session.execute(
            update(CoachCell)
            .where(CoachCell.session_id == booked.id, CoachCell.cell.in_(list(cell_range)))
            .values(buffer=buffer, move=False)
            .execution_options(synchronize_session=False)
        )


# --- requesting -----------------------------------------------------------------------------


def clean_topic(text: str) -> str:
    return " ".join(text.split()) if "\n" not in text else text.strip()


async def request(
    session: AsyncSession,
    coach_id: int,
    user_id: int,
    starts_at: datetime,
    topic: str,
    mode: str,
    now: datetime,
    limits: Limits = Limits(),
) -> CoachingSession:
    """Request a session in one of the coach's free slots: it is held until the coach answers
    or the request expires. Refused says why not."""
    coach = await session.get(Coach, coach_id)
    if coach is None or not coach.active:
        raise Refused(Reason.RETIRED)
    if coach_id == user_id:
        raise Refused(Reason.SELF)
    if mode not in modes_of(coach):
        raise Refused(Reason.NO_SLOT)
    available, held = await _check_slot(session, coach, starts_at, now, person=user_id)
    if held.with_coach >= limits.per_coach:
        raise Refused(Reason.LIMIT_COACH, limit=limits.per_coach)
    if held.in_all >= limits.total:
        raise Refused(Reason.LIMIT_TOTAL, limit=limits.total)
    ends_at = starts_at + timedelta(minutes=coach.session_minutes)
    values = dict(
        coach_id=coach_id,
        user_id=user_id,
        starts_at=starts_at,
        ends_at=ends_at,
        status=Status.PENDING,
        topic=topic[:MAX_TOPIC],
        mode=mode,
        held_from=cell_of(starts_at),
        held_to=cell_of(starts_at) + held_cells(coach),
        expires_at=min(now + ANSWER_WITHIN, starts_at - available.notice),
        sequence=0,
        created_at=now,
        updated_at=now,
    )
    booked = (await session.scalars(_session_insert(), [values])).one()
    if not await _claim(session, _rows(coach, user_id, booked.id, starts_at), booked.id):
        await session.delete(booked)
        await session.flush()
        raise Refused(
            Reason.BUSY
            if await _has_other_session(session, user_id, starts_at, coach)
            else Reason.TAKEN
        )
    tally(session, "booking", "coaching")
    return booked


@lru_cache(maxsize=1)
def _session_insert() -> Any:
    """One INSERT … RETURNING, built once: the unit-of-work flush of a new object costs more
    than the statement, and so does building it anew."""
    return insert(CoachingSession).returning(CoachingSession)


async def _has_other_session(
    session: AsyncSession, user_id: int, starts_at: datetime, coach: Coach
) -> bool:
    """Whether the person's own time is held then (the reason a claim failed, if not the
    coach's)."""
    own, _pause = cells(starts_at, coach.session_minutes, 0)
    clash = await session.scalar(
        select(func.count()).where(
            CoachCell.user_id == user_id,
            CoachCell.cell.in_(list(own)),
            CoachCell.buffer.is_(False),
        )
    )
    return bool(clash)


# --- answering ------------------------------------------------------------------------------


async def _change(
    session: AsyncSession,
    booked: CoachingSession,
    expected: Iterable[Status],
    now: datetime,
    **values: Any,
) -> None:
    """Move the session on, if it still is in one of the `expected` statuses (else
    ANSWERED); a session that stops being live gives its time back."""
    result = await session.execute(
        update(CoachingSession)
        .where(CoachingSession.id == booked.id, CoachingSession.status.in_(list(expected)))
        .values(updated_at=now, sequence=CoachingSession.sequence + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise Refused(Reason.ANSWERED)
    if values.get("status", booked.status) not in LIVE:
        await _release(session, booked.id)
    await session.refresh(booked)


async def coach_request(
    session: AsyncSession, session_id: int, coach_user_id: int
) -> tuple[Coach, CoachingSession]:
    """The session, if the presser is an active coach (role first) and it is theirs."""
    coach = await active_coach(session, coach_user_id)
    booked = await session.get(CoachingSession, session_id)
    if booked is None:
        raise Refused(Reason.NOT_FOUND)
    if booked.coach_id != coach.user_id:
        raise Refused(Reason.NOT_OWNER)
    return coach, booked


async def accept(
    session: AsyncSession, session_id: int, coach_user_id: int, now: datetime
) -> CoachingSession:
    _coach, booked = await coach_request(session, session_id, coach_user_id)
    if booked.status == Status.PENDING and booked.expires_at and booked.expires_at <= now:
        raise Refused(Reason.ANSWERED)  # lapsed; the expiry job is about to tell
    await _change(session, booked, [Status.PENDING], now, status=Status.CONFIRMED, expires_at=None)
    return booked


async def decline(
    session: AsyncSession, session_id: int, coach_user_id: int, reason: str, now: datetime
) -> CoachingSession:
    _coach, booked = await coach_request(session, session_id, coach_user_id)
    await _change(
        session, booked, [Status.PENDING], now,
        status=Status.DECLINED, reason=reason[:MAX_REASON] or None, ended_by="coach",
        expires_at=None,
    )  # fmt: skip
    return booked


async def propose(
    session: AsyncSession, session_id: int, coach_user_id: int, starts_at: datetime, now: datetime
) -> CoachingSession:
    """The coach offers another of their free slots for a pending request; it is held, and the
    request waits for the entrepreneur's answer."""
    coach, booked = await coach_request(session, session_id, coach_user_id)
    if booked.status != Status.PENDING:
        raise Refused(Reason.ANSWERED)
    available, _held = await _check_slot(session, coach, starts_at, now, besides=booked.id)
    await _hold_more(session, coach, booked, starts_at, move=False)
    await _change(
        session, booked, [Status.PENDING], now,
        status=Status.PROPOSED, starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=coach.session_minutes),
        held_from=cell_of(starts_at), held_to=cell_of(starts_at) + held_cells(coach),
        expires_at=min(now + ANSWER_WITHIN, starts_at - available.notice),
    )  # fmt: skip
    await _settle_cells(session, coach, booked)
    return booked


async def with_coach(
    session: AsyncSession, session_id: int | None
) -> tuple[CoachingSession, Coach] | None:
    """A session and its coach, if both still exist (for what the bot sends about it)."""
    booked = await session.get(CoachingSession, session_id) if session_id else None
    coach = await session.get(Coach, booked.coach_id) if booked is not None else None
    return (booked, coach) if booked is not None and coach is not None else None


async def own_session(session: AsyncSession, session_id: int, user_id: int) -> CoachingSession:
    """The entrepreneur's own session (buttons can be forged: ownership is checked here)."""
    booked = await session.get(CoachingSession, session_id)
    if booked is None:
        raise Refused(Reason.NOT_FOUND)
    if booked.user_id != user_id:
        raise Refused(Reason.NOT_OWNER)
    return booked


async def answer_proposal(
    session: AsyncSession, session_id: int, user_id: int, take: bool, now: datetime
) -> CoachingSession:
    booked = await own_session(session, session_id, user_id)
    if booked.status != Status.PROPOSED:
        raise Refused(Reason.ANSWERED)
    if take:
        if booked.expires_at and booked.expires_at <= now:
            raise Refused(Reason.ANSWERED)
        await _change(
            session, booked, [Status.PROPOSED], now, status=Status.CONFIRMED, expires_at=None
        )
    else:
        await _change(
            session, booked, [Status.PROPOSED], now,
            status=Status.DECLINED, ended_by="user", expires_at=None,
        )  # fmt: skip
    return booked


# --- changing and cancelling ----------------------------------------------------------------


def may_cancel(booked: CoachingSession, now: datetime, limits: Limits = Limits()) -> Reason | None:
    """Why the entrepreneur may not cancel (None: they may). A request that waits can be
    withdrawn until it starts; a confirmed session until the cut-off."""
    if booked.status not in LIVE or booked.ends_at <= now:
        return Reason.ANSWERED
    if booked.status == Status.CONFIRMED and booked.starts_at - limits.cancel_cutoff <= now:
        return Reason.TOO_LATE
    if booked.starts_at <= now:
        return Reason.TOO_LATE
    return None


async def cancel_by_user(
    session: AsyncSession, session_id: int, user_id: int, now: datetime, limits: Limits = Limits()
) -> tuple[CoachingSession, str]:
    """The entrepreneur cancels (or withdraws a request); with the status it had."""
    booked = await own_session(session, session_id, user_id)
    if (reason := may_cancel(booked, now, limits)) is not None:
        raise Refused(reason)
    was = booked.status
    await _change(
        session, booked, [was], now,
        status=Status.CANCELLED, ended_by="user", expires_at=None,
        move_starts_at=None, move_expires_at=None,
    )  # fmt: skip
    return booked, was


async def cancel_by_coach(
    session: AsyncSession, session_id: int, coach_user_id: int, reason: str, now: datetime
) -> tuple[CoachingSession, str]:
    _coach, booked = await coach_request(session, session_id, coach_user_id)
    if booked.status not in LIVE or booked.ends_at <= now:
        raise Refused(Reason.ANSWERED)
    was = booked.status
    await _change(
        session, booked, [was], now,
        status=Status.CANCELLED if was == Status.CONFIRMED else Status.DECLINED,
        reason=reason[:MAX_REASON] or None, ended_by="coach", expires_at=None,
        move_starts_at=None, move_expires_at=None,
    )  # fmt: skip
    return booked, was


async def request_move(
    session: AsyncSession, session_id: int, user_id: int, starts_at: datetime, now: datetime,
    limits: Limits = Limits(),
) -> CoachingSession:  # fmt: skip
    """The entrepreneur asks to move a confirmed session to another free slot: the new time is
    held besides the old one, which stands until the coach accepts."""
    booked = await own_session(session, session_id, user_id)
    if booked.status != Status.CONFIRMED or booked.starts_at <= now:
        raise Refused(Reason.ANSWERED)
    if booked.move_starts_at is not None:
        raise Refused(Reason.MOVING)
    if booked.starts_at - limits.cancel_cutoff <= now:
        raise Refused(Reason.TOO_LATE)
    coach = await session.get(Coach, booked.coach_id)
    if coach is None or not coach.active:
        raise Refused(Reason.RETIRED)
    if starts_at == booked.starts_at:
        raise Refused(Reason.NO_SLOT)
    available, _held = await _check_slot(session, coach, starts_at, now, besides=booked.id)
    await _hold_more(session, coach, booked, starts_at, move=True)
    deadline = min(now + ANSWER_WITHIN, starts_at - available.notice, booked.starts_at)
    result = await session.execute(
        update(CoachingSession)
        .where(CoachingSession.id == booked.id, CoachingSession.status == Status.CONFIRMED,
               CoachingSession.move_starts_at.is_(None))
        .values(move_starts_at=starts_at, move_expires_at=deadline, updated_at=now)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    if not result.rowcount:  # type: ignore[attr-defined]
        raise Refused(Reason.ANSWERED)
    await session.refresh(booked)
    return booked


async def answer_move(
    session: AsyncSession, session_id: int, coach_user_id: int, take: bool, now: datetime
) -> tuple[CoachingSession, datetime]:
    """The coach accepts the new time (the session moves, same request, same calendar event)
    or keeps the old one; with the time that was asked for."""
    coach, booked = await coach_request(session, session_id, coach_user_id)
    asked = booked.move_starts_at
    if booked.status != Status.CONFIRMED or asked is None:
        raise Refused(Reason.ANSWERED)
    if take and booked.move_expires_at is not None and booked.move_expires_at <= now:
        raise Refused(Reason.ANSWERED)
    await _end_move(session, coach, booked, now, take=take)
    return booked, asked


async def _end_move(
    session: AsyncSession, coach: Coach, booked: CoachingSession, now: datetime, *, take: bool
) -> None:
    asked = booked.move_starts_at
    assert asked is not None
    values: dict[str, Any] = {"move_starts_at": None, "move_expires_at": None}
    if take:
        values |= {
            "starts_at": asked,
            "ends_at": asked + timedelta(minutes=booked_minutes(booked)),
            "held_from": cell_of(asked),
            "held_to": cell_of(asked) + booked.held_to - booked.held_from,
            "sequence": CoachingSession.sequence + 1,
        }
    result = await session.execute(
        update(CoachingSession)
        .where(CoachingSession.id == booked.id, CoachingSession.move_starts_at == asked)
        .values(updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise Refused(Reason.ANSWERED)
    await session.refresh(booked)
    if take:
        await _settle_cells(session, coach, booked)
    else:
        await _drop_cells(session, CoachCell.session_id == booked.id, CoachCell.move.is_(True))


def held_cells(coach: Coach) -> int:
    """How many cells a session of the coach holds: its time and the buffer after it."""
    return (coach.session_minutes + coach.buffer_minutes) * 60 // CELL_SECONDS


def booked_minutes(booked: CoachingSession) -> int:
    return int((booked.ends_at - booked.starts_at).total_seconds() // 60)


# --- the clock ------------------------------------------------------------------------------


async def expire_due(session: AsyncSession, now: datetime) -> list[CoachingSession]:
    """Requests and proposals nobody answered in time: expired, their time given back."""
    due = await session.scalars(
        select(CoachingSession).where(
            CoachingSession.status.in_(WAITING), CoachingSession.expires_at <= now
        )
    )
    expired = []
    for booked in list(due):
        try:
            await _change(
                session, booked, [booked.status], now,
                status=Status.EXPIRED, ended_by="system",
            )  # fmt: skip
        except Refused:
            continue  # answered at the last moment
        expired.append(booked)
    return expired


async def moves_lapsed(
    session: AsyncSession, now: datetime
) -> list[tuple[CoachingSession, datetime]]:
    """Changes of time the coach did not answer in time: the original time stands."""
    due = await session.scalars(
        select(CoachingSession).where(
            CoachingSession.status == Status.CONFIRMED,
            CoachingSession.move_expires_at <= now,
        )
    )
    lapsed = []
    for booked in list(due):
        coach = await session.get(Coach, booked.coach_id)
        asked = booked.move_starts_at
        if coach is None or asked is None:
            continue
        try:
            await _end_move(session, coach, booked, now, take=False)
        except Refused:
            continue
        lapsed.append((booked, asked))
    return lapsed


async def end_all_of(
    session: AsyncSession, coach_id: int, now: datetime, reason: str
) -> list[tuple[CoachingSession, str]]:
    """A retiring coach's live sessions: confirmed ones cancelled, waiting ones declined."""
    rows = await session.scalars(
        select(CoachingSession).where(
            CoachingSession.coach_id == coach_id,
            CoachingSession.status.in_(LIVE),
            CoachingSession.ends_at > now,
        )
    )
    ended = []
    for booked in list(rows):
        was = booked.status
        status = Status.CANCELLED if was == Status.CONFIRMED else Status.DECLINED
        try:
            await _change(
                session, booked, [was], now,
                status=status, reason=reason, ended_by="retired", expires_at=None,
                move_starts_at=None, move_expires_at=None,
            )  # fmt: skip
        except Refused:
            continue
        ended.append((booked, was))
    return ended


# --- lists ----------------------------------------------------------------------------------


async def upcoming(session: AsyncSession, user_id: int, now: datetime) -> list[CoachingSession]:
    """The person's live sessions that have not ended, soonest first."""
    rows = await session.scalars(
        select(CoachingSession)
        .where(
            CoachingSession.user_id == user_id,
            CoachingSession.status.in_(LIVE),
            CoachingSession.ends_at > now,
        )
        .order_by(CoachingSession.starts_at, CoachingSession.id)
    )
    return list(rows)


async def of_coach(
    session: AsyncSession, coach_id: int, since: datetime, until: datetime
) -> list[CoachingSession]:
    """A coach's live sessions overlapping a span, in time order."""
    rows = await session.scalars(
        select(CoachingSession)
        .where(
            CoachingSession.coach_id == coach_id,
            CoachingSession.status.in_(LIVE),
            CoachingSession.ends_at > since,
            CoachingSession.starts_at < until,
        )
        .order_by(CoachingSession.starts_at, CoachingSession.id)
    )
    return list(rows)


async def waiting_for(session: AsyncSession, coach_id: int) -> list[CoachingSession]:
    """What waits for the coach's answer — requests, and changes of time — oldest first."""
    rows = await session.scalars(
        select(CoachingSession)
        .where(
            CoachingSession.coach_id == coach_id,
            (CoachingSession.status == Status.PENDING)
            | CoachingSession.move_starts_at.is_not(None),
        )
        .order_by(CoachingSession.created_at, CoachingSession.id)
    )
    return list(rows)
