"""Coaching benchmark: a busy coach's free slots over a 90-day horizon, and the request path.

Run: python -m bench.coaching [--sessions N] [--coaches N] [--iterations N] [--postgres URL]

One coach has windows every weekday (Monday to Friday) 08:00-20:00 for 90 days, 30-minute
sessions and no buffer, and `--sessions` live sessions (made through `coaching.request`, some
accepted); the other coaches take hour-long sessions on weekdays 09:00-17:00 for three weeks.
Measured, each in a unit of work of its own as an update would:
- free slots: `coaching.free_slots` of the busy coach for the whole horizon;
- the request path: `coaching.request` of a free slot (a different entrepreneur each time,
  round-robin over the coaches, withdrawn untimed afterwards) against a plain press (the
  person's row read), and, through the dispatcher, the free-times screen and the Confirm
  press of the request flow against a Settings press, as `bench.desks` compares them.

SQLite (a file in a temporary folder) always; PostgreSQL too when --postgres or
TEST_DATABASE_URL gives a URL (its schema `public` is dropped and recreated first, as the
tests do). The wall clock is fixed at NOW, so runs compare. The last line is one JSON object."""

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
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiogram
import sqlalchemy
from aiogram import Bot, Dispatcher
from sqlalchemy import func, select, text

from bench.desks import Screen, clear_every, reset_postgres, summary
from bot.app import Runtime, create_dispatcher, open_runtime
from bot.sandbox.recording import ChatClient, RecordingSession
from bot.service import tune_gc
from bot.settings import Settings, load_settings
from handlers.coaching.browse import minute_of
from handlers.coaching.callbacks import FindAction, FindCB
from handlers.coaching.texts import viewer_zone
from handlers.ui.callbacks import MenuAction, MenuCB
from storage import coaching
from storage.coaching.sessions import Limits
from storage.coaching.tables import LIVE, Coach, CoachCell, CoachingSession, Refused, Status
from storage.engine import SessionFactory, checkpoint, unit_of_work
from storage.users import Profile, get_person, touch
from tests.coaching_helpers import add_coach

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # a Tuesday, 08:00 in Helsinki
FREE_SLOTS_GOAL_MS = 10.0
REQUEST_GOAL_MS = 5.0  # over a plain press, p99
BUSY_COACH = 700_000  # the coach with the sessions; the others follow
WEEKDAYS = range(5)  # Monday to Friday
BUSY_WEEKLY = [(day, 8 * 60, 20 * 60) for day in WEEKDAYS]
OTHER_WEEKLY = [(day, 9 * 60, 17 * 60) for day in WEEKDAYS]
SEED_USER = 100_000  # entrepreneurs of the existing sessions, one session each
RAW_USER = 900_000  # entrepreneurs of the timed coaching.request transactions
CLIENT_USER = 10_000  # people pressing buttons through the dispatcher
CONFIRMED_SHARE = 0.6  # of the existing sessions, this share the coach has accepted
SEED_CHUNK = 50
NO_LIMITS = Limits(per_coach=1000, total=1000)
TOPIC = "Pitch deck review before the seed round"

clock = time.perf_counter_ns


# --- seeding -------------------------------------------------------------------------------


async def add_people(factory: SessionFactory, first: int, count: int, name: str) -> None:
    async with unit_of_work(factory) as session:
        for n in range(count):
            await touch(session, Profile(first + n, f"{name}{n}", None, None), is_admin=False)


async def seed(factory: SessionFactory, args: argparse.Namespace) -> dict[str, Any]:
    """The coaches, then the busy coach's sessions through `coaching.request` (a random
    sample of the free slots, each a different entrepreneur), a share of them accepted."""
    rng = random.Random(7)
    coaches = [BUSY_COACH + n for n in range(args.coaches)]
    async with unit_of_work(factory) as session:
        await add_coach(
            session, BUSY_COACH, name="Busy Coach", minutes=30, buffer=0, horizon_days=90,
            max_per_day=24, weekly=BUSY_WEEKLY,
        )  # fmt: skip
        for user_id in coaches[1:]:
            await add_coach(
                session, user_id, name=f"Coach {user_id}", minutes=60, buffer=15,
                horizon_days=21, max_per_day=4, weekly=OTHER_WEEKLY,
            )  # fmt: skip
    await add_people(factory, SEED_USER, args.sessions, "S")
    async with unit_of_work(factory) as session:
        busy = await session.get(Coach, BUSY_COACH)
        assert busy is not None
        offered = await coaching.free_slots(session, busy, NOW)
    if len(offered) < args.sessions:
        raise SystemExit(f"the busy coach has {len(offered)} slots, fewer than --sessions")
    chosen = sorted(rng.sample(offered, args.sessions))
    ids: list[int] = []
    for start in range(0, len(chosen), SEED_CHUNK):
        async with unit_of_work(factory) as session:
            for n, starts_at in enumerate(chosen[start : start + SEED_CHUNK], start):
                booked = await coaching.request(
                    session, BUSY_COACH, SEED_USER + n, starts_at, TOPIC, "online", NOW, NO_LIMITS
                )
                ids.append(booked.id)
    accepted = rng.sample(ids, round(len(ids) * CONFIRMED_SHARE))
    async with unit_of_work(factory) as session:
        for session_id in accepted:
            await coaching.accept(session, session_id, BUSY_COACH, NOW)
    async with unit_of_work(factory) as session:
        if session.get_bind().dialect.name == "postgresql":
            await session.execute(text("ANALYZE"))  # what autovacuum would have done by now
        live = await session.scalar(
            select(func.count()).where(
                CoachingSession.coach_id == BUSY_COACH, CoachingSession.status.in_(LIVE)
            )
        )
        cells = await session.scalar(select(func.count()).select_from(CoachCell))
        all_coaches = await session.scalar(select(func.count()).select_from(Coach))
    return {
        "slots_in_windows": len(offered),
        "live_sessions": int(live or 0),
        "confirmed": len(accepted),
        "cells": int(cells or 0),
        "coaches_in_db": int(all_coaches or 0),
    }


async def request_plan(
    factory: SessionFactory, coaches: Sequence[int]
) -> list[tuple[int, datetime]]:
    """Free slots to request, round-robin over the coaches (each is withdrawn after its
    request, so the list stays free)."""
    per_coach = []
    async with unit_of_work(factory) as session:
        for coach_id in coaches:
            coach = await session.get(Coach, coach_id)
            assert coach is not None
            per_coach.append(
                [(coach_id, s) for s in await coaching.free_slots(session, coach, NOW)]
            )
    rounds = itertools.zip_longest(*per_coach)
    return [slot for row in rounds for slot in row if slot is not None]


# --- measuring: storage ----------------------------------------------------------------------


async def time_free_slots(factory: SessionFactory, count: int) -> tuple[list[int], int]:
    """`coaching.free_slots` of the busy coach for the horizon, each in a fresh unit of work
    (the coach's row read untimed first, as the handler has it by then; commit untimed)."""
    latencies, found = [], 0
    for _ in range(count):
        async with unit_of_work(factory) as session:
            coach = await session.get(Coach, BUSY_COACH)
            assert coach is not None
            start = clock()
            free = await coaching.free_slots(session, coach, NOW)
            latencies.append(clock() - start)
            found = len(free)
    return latencies, found


async def withdraw(factory: SessionFactory, session_id: int, user_id: int) -> None:
    async with unit_of_work(factory) as session:
        await coaching.cancel_by_user(session, session_id, user_id, NOW)


async def time_requests(
    factory: SessionFactory, plan: Sequence[tuple[int, datetime]], first_user: int, count: int
) -> tuple[list[int], list[int], Counter[str]]:
    """Interleaved: a plain press (a unit of work reading the person's row) and a request
    (a unit of work doing `coaching.request`, commit timed for both); each request is
    withdrawn untimed. Also the refusals, by reason."""
    plain, requests = [], []
    refused: Counter[str] = Counter()
    for n in range(count):
        user_id = first_user + n
        coach_id, starts_at = plan[n % len(plan)]
        start = clock()
        async with unit_of_work(factory) as session:
            await get_person(session, user_id)
        plain.append(clock() - start)
        booked = None
        start = clock()
        try:
            async with unit_of_work(factory) as session:
                booked = await coaching.request(
                    session, coach_id, user_id, starts_at, TOPIC, "online", NOW, NO_LIMITS
                )
        except Refused as exc:
            refused[exc.reason.value] += 1
        requests.append(clock() - start)
        if booked is not None:
            await withdraw(factory, booked.id, user_id)
    return plain, requests, refused


# --- measuring: the dispatcher ---------------------------------------------------------------


async def screens_of(dispatcher: Dispatcher, bot: Bot, count: int) -> list[Screen]:
    screens = []
    for n in range(count):
        client = ChatClient(dispatcher, bot, CLIENT_USER + n)
        await client.send("/start")
        await client.click("English")
        screens.append(Screen(client))
    return screens


async def time_slots_screen(
    dispatcher: Dispatcher, screens: Sequence[Screen], count: int
) -> list[int]:
    """Press the busy coach's free times (FindCB SLOTS): free slots, keyboard, edit, answer."""
    data = FindCB(action=FindAction.SLOTS, coach=BUSY_COACH).pack()
    jobs = [
        (screen, screen.press(data)) for screen in itertools.islice(itertools.cycle(screens), count)
    ]
    latencies = []
    for n, (screen, update) in enumerate(jobs, 1):
        latencies.append(await screen.feed(dispatcher, update))
        clear_every(screen.client.bot, n)
    return latencies


async def chosen(
    runtime: Runtime, dispatcher: Dispatcher, screen: Screen, coach_id: int, at: datetime
) -> None:
    """Be at the request's summary, as after picking the time (in the person's zone), typing
    the topic and choosing the mode."""
    uid = screen.client.user.id
    async with unit_of_work(runtime.factory) as session:
        coach = await session.get(Coach, coach_id)
        assert coach is not None
        zone = await viewer_zone(session, uid, runtime.places, coach)
    context = dispatcher.fsm.get_context(screen.client.bot, chat_id=uid, user_id=uid)
    data = {"coach": coach_id, "at": minute_of(at), "zone": str(zone), "topic": TOPIC}
    await context.set_data(data)


async def withdraw_requested(factory: SessionFactory, user_id: int) -> bool:
    """Withdraw the person's pending request (untimed), so their next confirm is like this."""
    async with unit_of_work(factory) as session:
        booked = await session.scalar(
            select(CoachingSession).where(
                CoachingSession.user_id == user_id, CoachingSession.status == Status.PENDING
            )
        )
        if booked is None:
            return False
        await coaching.cancel_by_user(session, booked.id, user_id, NOW)
        return True


async def time_confirms(
    runtime: Runtime,
    dispatcher: Dispatcher,
    screens: Sequence[Screen],
    plan: Sequence[tuple[int, datetime]],
    count: int,
) -> tuple[list[int], list[int], int]:
    """Interleaved: a Settings press (no SQL) and the Confirm press of the request flow
    (FindCB CONFIRM: the request, the coach's outbox rows, the summary); each request is
    withdrawn untimed. Also the confirms that did not request."""
    settings = MenuCB(action=MenuAction.SETTINGS).pack()
    plain, confirms, failed = [], [], 0
    for n in range(count):
        screen = screens[n % len(screens)]
        coach_id, at = plan[n % len(plan)]
        data = FindCB(action=FindAction.CONFIRM, coach=coach_id, at=minute_of(at), mode="o")
        settings_update, confirm_update = screen.press(settings), screen.press(data.pack())
        plain.append(await screen.feed(dispatcher, settings_update))
        await chosen(runtime, dispatcher, screen, coach_id, at)
        confirms.append(await screen.feed(dispatcher, confirm_update))
        if not await withdraw_requested(runtime.factory, screen.client.user.id):
            failed += 1
        clear_every(screen.client.bot, n + 1)
    return plain, confirms, failed


def check_slots_screen(screen: Screen) -> int:
    """The free-times screen is what was timed: the buttons of its first page."""
    shown = screen.client.last
    rows = shown.reply_markup.inline_keyboard if shown.reply_markup else []
    times = [b for row in rows for b in row if (b.callback_data or "").startswith("cf:p:")]
    assert "free times" in (shown.text or "") and times, shown.text
    return len(times)


# --- the runs ------------------------------------------------------------------------------


def settings_for(url: str) -> Settings:
    return load_settings(
        database_url=url, redis_url=None, admin_ids="", throttle_rate=1e9, throttle_burst=10**9
    )


async def measure(runtime: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    factory = runtime.factory
    started = time.perf_counter()
    seeded = await seed(factory, args)
    seed_s = time.perf_counter() - started
    coaches = [BUSY_COACH + n for n in range(args.coaches)]
    plan = await request_plan(factory, coaches)
    rounds = args.warmup + args.iterations
    await add_people(factory, RAW_USER, 2 * rounds, "R")

    dispatcher = create_dispatcher(runtime, wall_clock=lambda: NOW)
    bot = Bot("1:bench", session=RecordingSession())
    screens = await screens_of(dispatcher, bot, args.users)

    await time_free_slots(factory, args.warmup)
    await time_requests(factory, plan, RAW_USER, args.warmup)
    await time_slots_screen(dispatcher, screens, args.warmup)
    buttons = check_slots_screen(screens[(args.warmup - 1) % len(screens)])
    await time_confirms(runtime, dispatcher, screens, plan, args.warmup)
    await checkpoint(runtime.engine)  # as the scheduler does every minute (see bench.desks)
    tune_gc()
    free, found = await time_free_slots(factory, args.iterations)
    plain, requests, refused = await time_requests(
        factory, plan, RAW_USER + rounds, args.iterations
    )
    await checkpoint(runtime.engine)
    slots_screen = await time_slots_screen(dispatcher, screens, args.iterations)
    settings, confirms, failed = await time_confirms(
        runtime, dispatcher, screens, plan, args.iterations
    )
    free_s, plain_s, request_s = summary(free), summary(plain), summary(requests)
    settings_s, confirm_s = summary(settings), summary(confirms)
    return {
        "backend": runtime.engine.dialect.name,
        "free_slots_p50_ms": free_s["p50_ms"],
        "free_slots_p99_ms": free_s["p99_ms"],
        "request_p50_ms": request_s["p50_ms"],
        "request_p99_ms": request_s["p99_ms"],
        "press_p50_ms": plain_s["p50_ms"],
        "press_p99_ms": plain_s["p99_ms"],
        "request_over_press_p99_ms": round(request_s["p99_ms"] - plain_s["p99_ms"], 3),
        "request_refusals": dict(refused),
        "slots_screen_p50_ms": summary(slots_screen)["p50_ms"],
        "slots_screen_p99_ms": summary(slots_screen)["p99_ms"],
        "settings_press_p50_ms": settings_s["p50_ms"],
        "settings_press_p99_ms": settings_s["p99_ms"],
        "confirm_press_p50_ms": confirm_s["p50_ms"],
        "confirm_press_p99_ms": confirm_s["p99_ms"],
        "confirm_over_press_p99_ms": round(confirm_s["p99_ms"] - settings_s["p99_ms"], 3),
        "confirm_failures": failed,
        "free_slots_found": found,
        "slots_screen_buttons": buttons,
        "request_slots": len(plan),
        "seed_s": round(seed_s, 2),
        **seeded,
    }


async def run_sqlite(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-coaching-") as workdir:
        url = f"sqlite+aiosqlite:///{Path(workdir) / 'coaching.db'}"
        runtime = await open_runtime(settings_for(url))
        try:
            return await measure(runtime, args)
        finally:
            await runtime.close()


async def run_postgres(args: argparse.Namespace, url: str) -> dict[str, Any]:
    await reset_postgres(url)  # drops `public`, recreates it, migrates
    runtime = await open_runtime(settings_for(url))
    try:
        return await measure(runtime, args)
    finally:
        await runtime.close()


def goals(r: dict[str, Any]) -> dict[str, bool]:
    return {
        "free_slots_goal_met": r["free_slots_p99_ms"] <= FREE_SLOTS_GOAL_MS,
        "request_goal_met": r["request_over_press_p99_ms"] <= REQUEST_GOAL_MS,
        "confirm_goal_met": r["confirm_over_press_p99_ms"] <= REQUEST_GOAL_MS,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    sqlite = await run_sqlite(args)
    postgres = await run_postgres(args, args.postgres) if args.postgres else None
    return {
        "bench": "coaching",
        **sqlite,
        **goals(sqlite),
        "postgres": {**postgres, **goals(postgres)} if postgres else None,
        "sessions": args.sessions,
        "coaches": args.coaches,
        "goal_free_slots_p99_ms": FREE_SLOTS_GOAL_MS,
        "goal_request_over_press_p99_ms": REQUEST_GOAL_MS,
        "iterations": args.iterations,
        "now": NOW.isoformat(),
        "load_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "aiogram": aiogram.__version__,
        "sqlalchemy": sqlalchemy.__version__,
    }


def report_backend(r: dict[str, Any]) -> None:
    def verdict(value: float, goal: float) -> str:
        return f"goal ≤ {goal:g} ms: {'met' if value <= goal else 'MISSED'}"

    name = r["backend"]
    print(
        f"{name}: seeded in {r['seed_s']:.1f} s: coach {BUSY_COACH} with {r['slots_in_windows']:,}"
        f" slots in 90 days, {r['live_sessions']} live sessions ({r['confirmed']} confirmed),"
        f" {r['free_slots_found']:,} free; {r['cells']:,} held cells; {r['coaches_in_db']}"
        " coaches in all"
    )
    print(f"{name:34}{'p50 ms':>9}{'p99 ms':>9}")
    rows = (
        ("free_slots (90 days, busy coach)", "free_slots"),
        ("plain press (person's row)", "press"),
        ("coaching.request (unit of work)", "request"),
        ("free-times screen (dispatcher)", "slots_screen"),
        ("Settings press (dispatcher)", "settings_press"),
        ("Confirm press (dispatcher)", "confirm_press"),
    )
    for label, key in rows:
        print(f"{label:34}{r[f'{key}_p50_ms']:>9.3f}{r[f'{key}_p99_ms']:>9.3f}")
    free = r["free_slots_p99_ms"]
    print(f"{name}: free_slots p99 {free:.2f} ms, {verdict(free, FREE_SLOTS_GOAL_MS)}")
    print(
        f"{name}: request adds {r['request_over_press_p99_ms']:.2f} ms p99 over a plain press, "
        f"{verdict(r['request_over_press_p99_ms'], REQUEST_GOAL_MS)} "
        f"(refused: {r['request_refusals'] or 'none'})"
    )
    print(
        f"{name}: Confirm adds {r['confirm_over_press_p99_ms']:.2f} ms p99 over a Settings press, "
        f"{verdict(r['confirm_over_press_p99_ms'], REQUEST_GOAL_MS)} "
        f"({r['confirm_failures']} confirms did not request)"
    )


def report(r: dict[str, Any]) -> None:
    report_backend(r)
    if r["postgres"] is None:
        print("postgresql: skipped (neither --postgres nor TEST_DATABASE_URL given)")
    else:
        report_backend(r["postgres"])
    print(f"(1-min load at the end {r['load_1m']:.2f})")


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the options, run the benchmarks, print the lines and a JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=500, help="the busy coach's sessions")
    parser.add_argument("--coaches", type=int, default=20, help="coaches, the busy one too")
    parser.add_argument("--iterations", type=int, default=300, help="timed runs per kind")
    parser.add_argument("--users", type=int, default=50, help="people pressing buttons")
    parser.add_argument("--warmup", type=int, default=50, help="untimed rounds first")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("TEST_DATABASE_URL"),
        help="a PostgreSQL URL to run on too (its schema is reset; default TEST_DATABASE_URL)",
    )
    args = parser.parse_args(argv)
    if args.coaches < 1 or args.warmup < 1 or args.iterations < 1 or args.users < 1:
        parser.error("--coaches, --warmup, --iterations and --users must be at least 1")
    result = asyncio.run(run(args))
    report(result)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
