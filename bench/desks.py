"""Desk booking benchmark: the 14-day calendar over 10,000 bookings, and booking transactions.

Run: python -m bench.desks [--bookings N] [--iterations N] [--transactions N] [--concurrency N]

SQLite always; PostgreSQL too when TEST_DATABASE_URL is set (its schema `public` is dropped
and recreated first, as the tests do). The wall clock is fixed at NOW, so runs compare."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import random
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiogram
import sqlalchemy
from aiogram import Bot, Dispatcher
from aiogram.types import Message, Update
from sqlalchemy import delete, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import Runtime, create_dispatcher, open_runtime
from bot.sandbox.recording import ChatClient, RecordingSession
from bot.service import tune_gc
from bot.settings import load_settings
from handlers.desks.callbacks import DeskAction, DeskCB
from handlers.desks.flow import BookDesk
from handlers.ui.callbacks import MenuAction, MenuCB
from storage import desks, migrate
from storage.desks import DeskBooking, DeskSlot, Refused, Status
from storage.desks.opening import Period, Place
from storage.engine import SessionFactory, checkpoint, create_engine, unit_of_work
from storage.users import User

NOW = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)  # a Tuesday, before opening in both places
CALENDAR_GOAL_MS = 20.0
BOOKING_GOAL_MS = 5.0
SEED_USER = 100_000  # people of the seeded bookings
SEED_USERS = 3_000
CLIENT_USER = 10_000  # people pressing buttons through the dispatcher
RAW_USER = 900_000  # people of the raw desks.book transactions
FULL_SHARE = 0.7  # of the open days in the window, this share is fully booked
PARTIAL_SHARE = 0.4  # the others have this share of their desks booked
CANCELLED_SHARE = 0.08  # a desk-day also has a cancelled booking this often
CLEAR_EVERY = 1000
CHUNK = 2000

clock = time.perf_counter_ns


# --- seeding -------------------------------------------------------------------------------


@dataclass
class Seed:
    users: list[dict[str, Any]]
    bookings: list[dict[str, Any]]
    slots: list[dict[str, Any]]


def plan(places: Sequence[Place], target: int, seed: int = 7) -> Seed:
    """`target` bookings: the 14-day window first (mostly full), then past days backwards.

    Slots agree with the live bookings and are unique by desk × day × half and by
    person × day × half, as `desks.claim` would have left them."""
    rng = random.Random(seed)
    created = NOW - timedelta(days=900)
    users = [
        {"id": SEED_USER + n, "first_name": f"P{n}", "locale": "en", "is_admin": False,
         "is_coach": False, "created_at": created, "last_seen_at": created}
        for n in range(SEED_USERS)
    ]  # fmt: skip
    result = Seed(users, [], [])
    ids = itertools.count(1)

    def add(
        place: Place, day: date, desk_id: int, period: Period, user: int, status: Status
    ) -> None:
        starts, ends = place.span(day, period)
        booking_id = next(ids)
        booked = starts - timedelta(days=rng.randint(1, 13), hours=rng.randint(0, 12))
        live = status is Status.ACTIVE
        result.bookings.append(
            {"id": booking_id, "user_id": user, "location_id": place.id, "desk_id": desk_id,
             "day": day, "period": period.value, "status": status.value, "starts_at": starts,
             "ends_at": ends, "reminded_at": starts - timedelta(hours=18) if ends < NOW else None,
             "hold_expires_at": None, "sequence": 0 if live else 1, "created_at": booked,
             "updated_at": booked, "cancel_reason": None if live else "user"}
        )  # fmt: skip
        if live:
            result.slots.extend(
                {"desk_id": desk_id, "day": day, "half": half, "user_id": user,
                 "location_id": place.id, "booking_id": booking_id}
                for half in period.halves
            )  # fmt: skip

    def fill(day: date, shares: dict[int, float]) -> None:
        people = iter(rng.sample(range(SEED_USER, SEED_USER + SEED_USERS), 64))
        for place in places:
            if place.closure(day) is not None or place.id not in shares:
                continue
            share = shares[place.id]
            for desk in place.desks:
                if len(result.bookings) >= target:
                    return
                if rng.random() < CANCELLED_SHARE:
                    add(place, day, desk.id, Period.FULL, next(people), Status.CANCELLED)
                if rng.random() >= share:
                    continue
                if rng.random() < 0.6:
                    add(place, day, desk.id, Period.FULL, next(people), Status.ACTIVE)
                    continue
                for period in (Period.MORNING, Period.AFTERNOON):
                    if share >= 1.0 or rng.random() < 0.5:
                        add(place, day, desk.id, period, next(people), Status.ACTIVE)

    window = places[0].bookable_days(NOW)
    full = {}
    for place in places:
        open_days = [d for d in window if place.closure(d) is None]
        full[place.id] = set(open_days[: round(len(open_days) * FULL_SHARE)])
    for day in window:
        fill(day, {p.id: 1.0 if day in full[p.id] else PARTIAL_SHARE for p in places})
    day = window[0]
    while len(result.bookings) < target:
        day -= timedelta(days=1)
        fill(day, {p.id: rng.uniform(0.4, 1.0) for p in places})
    return result


async def seed(factory: SessionFactory, places: Sequence[Place], target: int) -> Seed:
    """Bulk-insert the planned users, bookings and slots (core executemany, in chunks)."""
    planned = plan(places, target)
    async with unit_of_work(factory) as session:
        postgres = session.get_bind().dialect.name == "postgresql"
        tables = [(User.__table__, planned.users), (DeskBooking.__table__, planned.bookings)]
        if postgres:  # on SQLite the bookings' trigger writes their slots (migration 0006)
            tables.append((DeskSlot.__table__, planned.slots))
        for table, rows in tables:
            for start in range(0, len(rows), CHUNK):
                await session.execute(insert(table), rows[start : start + CHUNK])
        if postgres:  # the ids were given: move the serial past them
            await session.execute(
                text("SELECT setval(pg_get_serial_sequence('desk_bookings', 'id'), :n)"),
                {"n": len(planned.bookings)},
            )
    if postgres:
        async with unit_of_work(factory) as session:
            await session.execute(text("ANALYZE"))  # what autovacuum would have done by now
    return planned


async def add_users(factory: SessionFactory, first: int, count: int) -> None:
    now = NOW
    rows = [
        {"id": first + n, "first_name": "B", "locale": "en", "is_admin": False,
         "is_coach": False, "created_at": now, "last_seen_at": now}
        for n in range(count)
    ]  # fmt: skip
    async with unit_of_work(factory) as session:
        await session.execute(insert(User.__table__), rows)


# --- measuring -----------------------------------------------------------------------------


def summary(latencies: Sequence[int]) -> dict[str, float]:
    """Median and 99th percentile in milliseconds."""
    ordered = sorted(latencies)
    return {
        "p50_ms": round(ordered[len(ordered) // 2] / 1e6, 3),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] / 1e6, 3),
    }


async def time_availability(
    factory: SessionFactory, places: Sequence[Place], count: int
) -> list[int]:
    """`desks.availability` of the 14 bookable days, each in a fresh session (commit untimed)."""
    latencies = []
    for n in range(count):
        place = places[n % len(places)]
        async with unit_of_work(factory) as session:
            start = clock()
            await desks.availability(session, place, place.bookable_days(NOW), NOW, "en")
            latencies.append(clock() - start)
    return latencies


class Screen:
    """A person with the main menu on screen, pressing its buttons (or forged ones)."""

    _ids = itertools.count(50_000_000)

    def __init__(self, client: ChatClient) -> None:
        self.client = client
        self.message: Message = client.last
        self.dump = self.message.model_dump(mode="json", by_alias=True, exclude_none=True)
        self.user = client.user.model_dump(exclude_none=True)

    def press(self, data: str) -> Update:
        n = next(self._ids)
        uid = self.client.user.id
        query = {"id": f"{uid}:{n}", "from": self.user, "chat_instance": str(uid),
                 "message": self.dump, "data": data}  # fmt: skip
        raw = {"update_id": n, "callback_query": query}
        return Update.model_validate(raw, context={"bot": self.client.bot})

    async def enter_flow(self, dispatcher: Dispatcher) -> None:
        """Be inside the desk flow, as after the calendar, so Confirm clears the state."""
        uid = self.client.user.id
        context = dispatcher.fsm.get_context(self.client.bot, chat_id=uid, user_id=uid)
        await context.set_state(BookDesk.choosing)

    async def feed(self, dispatcher: Dispatcher, update: Update) -> int:
        """Put the menu back on screen (untimed), then time the update until it is answered."""
        recorded = self.client.recorded
        recorded.messages[self.message.message_id] = self.message
        recorded.toasts.clear()
        start = clock()
        await dispatcher.feed_update(self.client.bot, update)
        return clock() - start


def clear_every(bot: Bot, index: int) -> None:
    session = bot.session
    assert isinstance(session, RecordingSession)
    if index % CLEAR_EVERY == 0:
        session.calls.clear()


async def time_calendar(
    dispatcher: Dispatcher, screens: Sequence[Screen], places: Sequence[Place], count: int
) -> list[int]:
    """Press a location's button (DeskCB CALENDAR): availability, keyboard, edit, answer."""
    jobs = []
    for n in range(count):
        screen = screens[n % len(screens)]
        place = places[n % len(places)]
        jobs.append((screen, screen.press(DeskCB(action=DeskAction.CALENDAR, loc=place.id).pack())))
    latencies = []
    for n, (screen, update) in enumerate(jobs, 1):
        latencies.append(await screen.feed(dispatcher, update))
        clear_every(screen.client.bot, n)
    return latencies


async def cancel_booked(factory: SessionFactory, user_id: int) -> bool:
    """Cancel the person's active booking (untimed), so the next confirm succeeds again."""
    async with unit_of_work(factory) as session:
        booking = await session.scalar(
            select(DeskBooking).where(
                DeskBooking.user_id == user_id, DeskBooking.status == Status.ACTIVE
            )
        )
        if booking is None:
            return False
        await desks.release(session, booking, Status.CANCELLED, NOW, reason="user")
        return True


async def time_booking(
    dispatcher: Dispatcher,
    factory: SessionFactory,
    screens: Sequence[Screen],
    targets: Sequence[tuple[Place, date]],
    count: int,
) -> tuple[list[int], list[int], int]:
    """Interleaved: a Settings press (no SQL) and a Confirm press, inside the desk flow, that
    books any free desk for a full day; each booking is cancelled untimed. Also the confirms
    that did not book."""
    settings = MenuCB(action=MenuAction.SETTINGS).pack()
    jobs = []
    for n in range(count):
        screen = screens[n % len(screens)]
        place, day = targets[n % len(targets)]
        data = DeskCB(
            action=DeskAction.CONFIRM, loc=place.id, day=day.toordinal(), period=Period.FULL
        )
        jobs.append((screen, screen.press(settings), screen.press(data.pack())))
    plain, booking, failed = [], [], 0
    for n, (screen, settings_update, confirm_update) in enumerate(jobs, 1):
        plain.append(await screen.feed(dispatcher, settings_update))
        await screen.enter_flow(dispatcher)
        booking.append(await screen.feed(dispatcher, confirm_update))
        if not await cancel_booked(factory, screen.client.user.id):
            failed += 1
        clear_every(screen.client.bot, n)
    return plain, booking, failed


Slot = tuple[Place, date, Period, int]


async def free_halves(factory: SessionFactory, places: Sequence[Place]) -> list[Slot]:
    """Every free desk half-day of the window that can still be booked, day by day."""
    result: list[Slot] = []
    async with unit_of_work(factory) as session:
        for place in places:
            days = [d for d in place.bookable_days(NOW) if place.closure(d) is None]
            rows = await session.execute(
                select(DeskSlot.day, DeskSlot.half, DeskSlot.desk_id).where(
                    DeskSlot.location_id == place.id, DeskSlot.day.between(days[0], days[-1])
                )
            )
            busy = {(day, half, desk_id) for day, half, desk_id in rows}
            for day in days:
                for period in (Period.MORNING, Period.AFTERNOON):
                    if place.started(day, period, NOW):
                        continue
                    result += [
                        (place, day, period, desk.id)
                        for desk in place.desks
                        if (day, period.value, desk.id) not in busy
                    ]
    return result


async def purge(factory: SessionFactory, ids: Sequence[int]) -> None:
    async with unit_of_work(factory) as session:
        await session.execute(delete(DeskSlot).where(DeskSlot.booking_id.in_(ids)))
        await session.execute(delete(DeskBooking).where(DeskBooking.id.in_(ids)))


async def book_one(factory: SessionFactory, slot: Slot, user_id: int) -> int:
    place, day, period, desk_id = slot
    async with unit_of_work(factory) as session:
        booking = await desks.book(session, place, user_id, day, period, NOW, desk_id=desk_id)
    return booking.id


async def time_transactions(
    factory: SessionFactory, slots: Sequence[Slot], count: int, concurrency: int
) -> dict[str, Any]:
    """`count` desks.book transactions, each its own unit of work, `concurrency` at a time.

    Each batch books every free half-day once (a different person each), then is deleted
    untimed, so every booking can succeed. Errors are counted, not retried."""
    done, elapsed, latencies, ids = 0, 0, [], []
    errors: Counter[str] = Counter()

    async def worker(jobs: Iterator[tuple[int, Slot]]) -> None:
        for n, slot in jobs:
            start = clock()
            try:
                ids.append(await book_one(factory, slot, RAW_USER + n))
            except Refused as refused:
                errors[refused.reason.value] += 1
            except DBAPIError as exc:
                errors[str(exc.orig).splitlines()[0][:60]] += 1
            latencies.append(clock() - start)

    while done < count:
        batch = slots[: count - done]
        jobs = iter(enumerate(batch))
        start = clock()
        await asyncio.gather(*(worker(jobs) for _ in range(concurrency)))
        elapsed += clock() - start
        done += len(batch)
        await purge(factory, ids)
        ids.clear()
    booked = done - sum(errors.values())
    return {
        "per_s": round(booked * 1e9 / elapsed, 1),
        **summary(latencies),
        "errors": dict(errors),
    }


async def transactions(
    factory: SessionFactory, places: Sequence[Place], args: argparse.Namespace
) -> dict[str, Any]:
    """Sequential and concurrent desks.book throughput on a seeded database."""
    slots = await free_halves(factory, places)
    await add_users(factory, RAW_USER, len(slots))
    await time_transactions(factory, slots, min(args.warmup, len(slots)), 1)
    tune_gc()
    sequential = await time_transactions(factory, slots, args.transactions, 1)
    concurrent = await time_transactions(factory, slots, args.transactions, args.concurrency)
    return {"batch": len(slots), "sequential": sequential, "concurrent": concurrent}


# --- the runs ------------------------------------------------------------------------------


async def run_sqlite(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{workdir / 'desks.db'}",
        redis_url=None,
        admin_ids="",
        throttle_rate=1e9,
        throttle_burst=10**9,
    )
    runtime = await open_runtime(settings)
    try:
        return await measure_sqlite(runtime, args)
    finally:
        await runtime.close()


async def measure_sqlite(runtime: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    places = runtime.places.all
    started = time.perf_counter()
    planned = await seed(runtime.factory, places, args.bookings)
    seed_s = time.perf_counter() - started
    async with unit_of_work(runtime.factory) as session:
        window = {p.id: await window_state(session, p) for p in places}
    targets = [(p, max(window[p.id], key=lambda s: s.free.get(Period.FULL, 0)).day) for p in places]

    dispatcher = create_dispatcher(runtime, wall_clock=lambda: NOW)
    bot = Bot("1:bench", session=RecordingSession())
    screens = []
    for n in range(args.users):
        client = ChatClient(dispatcher, bot, CLIENT_USER + n)
        await client.send("/start")
        await client.click("English")
        screens.append(Screen(client))

    await time_availability(runtime.factory, places, args.warmup)
    await time_calendar(dispatcher, screens, places, args.warmup)
    await time_booking(dispatcher, runtime.factory, screens, targets, args.warmup)
    check = screens[0]
    await check.feed(
        dispatcher, check.press(DeskCB(action=DeskAction.CALENDAR, loc=places[0].id).pack())
    )
    shown = check.client.last
    rows = shown.reply_markup.inline_keyboard if shown.reply_markup else []
    labels = [button.text for row in rows for button in row]
    assert "Choose a day" in (shown.text or "") and any("●" in t for t in labels), labels
    # A running bot checkpoints SQLite's write-ahead log every minute (scheduler/setup.py), so
    # the log of the seed and the warm-up is not left for a timed commit to copy.
    await checkpoint(runtime.engine)
    tune_gc()
    availability = summary(await time_availability(runtime.factory, places, args.iterations))
    calendar = summary(await time_calendar(dispatcher, screens, places, args.iterations))
    plain, booking, failed = await time_booking(
        dispatcher, runtime.factory, screens, targets, args.iterations
    )
    await checkpoint(runtime.engine)  # as the scheduler would have done meanwhile
    raw = await transactions(runtime.factory, places, args)
    return {
        "seed_s": round(seed_s, 2),
        "bookings": len(planned.bookings),
        "live_bookings": sum(b["status"] == Status.ACTIVE for b in planned.bookings),
        "slots": len(planned.slots),
        "window": {p.key: describe(window[p.id]) for p in places},
        "targets": {p.key: d.isoformat() for p, d in targets},
        "availability": availability,
        "calendar": calendar,
        "plain": summary(plain),
        "booking": summary(booking),
        "booking_failures": failed,
        "raw": raw,
    }


async def window_state(session: AsyncSession, place: Place) -> list[desks.DayAvailability]:
    return await desks.availability(session, place, place.bookable_days(NOW), NOW, "en")


def describe(days: Sequence[desks.DayAvailability]) -> dict[str, int]:
    return {
        "open": sum(d.open for d in days),
        "full": sum(d.full for d in days),
        "closed": sum(not d.open for d in days),
    }


async def reset_postgres(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await migrate.upgrade(engine)
    await engine.dispose()


async def run_postgres(args: argparse.Namespace, url: str) -> dict[str, Any]:
    await reset_postgres(url)
    runtime = await open_runtime(load_settings(database_url=url, redis_url=None, admin_ids=""))
    try:
        places = runtime.places.all
        await seed(runtime.factory, places, args.bookings)
        await time_availability(runtime.factory, places, args.warmup)
        tune_gc()
        availability = summary(await time_availability(runtime.factory, places, args.iterations))
        return {
            "availability": availability,
            "raw": await transactions(runtime.factory, places, args),
        }
    finally:
        await runtime.close()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-desks-") as workdir:
        sqlite = await run_sqlite(args, Path(workdir))
    url = os.environ.get("TEST_DATABASE_URL")
    postgres = await run_postgres(args, url) if url else None
    calendar_p99 = sqlite["calendar"]["p99_ms"]
    adds = round(sqlite["booking"]["p99_ms"] - sqlite["plain"]["p99_ms"], 3)
    raw = sqlite["raw"]
    pg_raw = postgres["raw"] if postgres else None
    return {
        "calendar_p50_ms": sqlite["calendar"]["p50_ms"],
        "calendar_p99_ms": calendar_p99,
        "availability_p50_ms": sqlite["availability"]["p50_ms"],
        "availability_p99_ms": sqlite["availability"]["p99_ms"],
        "plain_p50_ms": sqlite["plain"]["p50_ms"],
        "plain_p99_ms": sqlite["plain"]["p99_ms"],
        "booking_p50_ms": sqlite["booking"]["p50_ms"],
        "booking_p99_ms": sqlite["booking"]["p99_ms"],
        "booking_adds_p99_ms": adds,
        "booking_failures": sqlite["booking_failures"],
        "calendar_goal_met": calendar_p99 <= CALENDAR_GOAL_MS,
        "booking_goal_met": adds <= BOOKING_GOAL_MS,
        "sqlite_bookings_per_s": raw["sequential"]["per_s"],
        "sqlite_book_p50_ms": raw["sequential"]["p50_ms"],
        "sqlite_book_p99_ms": raw["sequential"]["p99_ms"],
        "sqlite_bookings_per_s_concurrent": raw["concurrent"]["per_s"],
        "sqlite_concurrent_p99_ms": raw["concurrent"]["p99_ms"],
        "sqlite_concurrent_errors": raw["concurrent"]["errors"],
        "postgres_bookings_per_s": pg_raw["sequential"]["per_s"] if pg_raw else None,
        "postgres_book_p99_ms": pg_raw["sequential"]["p99_ms"] if pg_raw else None,
        "postgres_bookings_per_s_concurrent": pg_raw["concurrent"]["per_s"] if pg_raw else None,
        "postgres_concurrent_p99_ms": pg_raw["concurrent"]["p99_ms"] if pg_raw else None,
        "postgres_concurrent_errors": pg_raw["concurrent"]["errors"] if pg_raw else None,
        "postgres_availability_p99_ms": postgres["availability"]["p99_ms"] if postgres else None,
        "bookings": sqlite["bookings"],
        "live_bookings": sqlite["live_bookings"],
        "slots": sqlite["slots"],
        "window": sqlite["window"],
        "confirm_days": sqlite["targets"],
        "free_halves_per_batch": raw["batch"],
        "seed_s": sqlite["seed_s"],
        "iterations": args.iterations,
        "transactions": args.transactions,
        "concurrency": args.concurrency,
        "now": NOW.isoformat(),
        "load_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "aiogram": aiogram.__version__,
        "sqlalchemy": sqlalchemy.__version__,
    }


def report(r: dict[str, Any]) -> None:
    def verdict(value: float, goal: float) -> str:
        return f"goal ≤ {goal:g} ms: {'met' if value <= goal else 'MISSED'}"

    windows = ", ".join(
        f"{key} {w['full']} of {w['open']} open days full" for key, w in r["window"].items()
    )
    print(
        f"seeded {r['bookings']:,} bookings ({r['live_bookings']:,} live, {r['slots']:,} slots) "
        f"in {r['seed_s']:.1f} s; 14 days from {r['now'][:10]}: {windows}"
    )
    print(f"{'sqlite':30}{'p50 ms':>9}{'p99 ms':>9}   (1-min load at the end {r['load_1m']:.2f})")
    rows = (
        ("availability (14 days)", "availability"),
        ("calendar screen (dispatcher)", "calendar"),
        ("plain: Settings press", "plain"),
        ("booking: Confirm press", "booking"),
    )
    for label, key in rows:
        print(f"{label:30}{r[f'{key}_p50_ms']:>9.3f}{r[f'{key}_p99_ms']:>9.3f}")
    print(f"calendar p99 {r['calendar_p99_ms']:.2f} ms, {verdict(r['calendar_p99_ms'], 20)}")
    print(
        f"booking adds {r['booking_adds_p99_ms']:.2f} ms p99 over a plain press, "
        f"{verdict(r['booking_adds_p99_ms'], 5)} ({r['booking_failures']} confirms did not book)"
    )
    for name in ("sqlite", "postgres"):
        if r[f"{name}_bookings_per_s"] is None:
            print(f"{name}: skipped (TEST_DATABASE_URL not set)")
            continue
        print(
            f"{name} desks.book: {r[f'{name}_bookings_per_s']:.0f}/s sequential "
            f"(p99 {r[f'{name}_book_p99_ms']:.2f} ms), "
            f"{r[f'{name}_bookings_per_s_concurrent']:.0f}/s with {r['concurrency']} tasks "
            f"(p99 {r[f'{name}_concurrent_p99_ms']:.2f} ms, "
            f"errors {r[f'{name}_concurrent_errors'] or 'none'})"
        )
    if r["postgres_availability_p99_ms"] is not None:
        print(f"postgres availability (14 days) p99 {r['postgres_availability_p99_ms']:.3f} ms")


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the options, run the benchmarks, print the lines and a JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=10_000, help="existing bookings")
    parser.add_argument("--iterations", type=int, default=2_000, help="timed presses per kind")
    parser.add_argument("--transactions", type=int, default=1_000, help="desks.book per run")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent desks.book")
    parser.add_argument("--users", type=int, default=100, help="people pressing buttons")
    parser.add_argument("--warmup", type=int, default=200, help="untimed rounds first")
    args = parser.parse_args(argv)
    result = asyncio.run(run(args))
    report(result)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
