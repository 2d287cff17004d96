"""The delivery engine through the sandbox Telegram: what each chat received, and when.

Run: python -m bench.delivery [--mode steady|burst|ceiling|crash|two|all] [--messages N]
     [--rate R] [--span S] [--batch N] [--lease S] [--backends sqlite,postgresql] [--profile]

Modes (`all`, the default, runs them in this order):

- steady: reminders due over a span, one per chat (the spec's 2,000 over 600 s; by default
  the same load compressed into `--span 60`: 200 messages, `--span 600` for the full run),
  all enqueued ahead of time while the engine runs its real loop (`Delivery.run`) and is idle:
  lateness (the sandbox's receipt minus due_at) p50/p99/max, overall and apart for the rows
  due within the engine's first IDLE_LOOK (it was asleep when they were written).
- burst: N messages (10,000) to N/2 chats, two each, due at one instant, at SEND_RATE `--rate`
  (25), with 429s (retry_after 1 s) and 500s injected along the way, 1% of the chats blocked
  (403 "bot was blocked by the user") and 1% never started ("chat not found"): the achieved
  rate against the configured one (over accepted messages and over every attempt), the most
  messages one chat accepted within any second (refused attempts left nothing and do not
  count; the shortest gap over every attempt is shown apart), the most the sandbox took in
  any second, how many were accepted during a 429's retry_after, duplicates and misses.
- ceiling: N messages (10,000), one per chat, the rate unlimited: what the engine sustains and
  where its rounds spend the time (claim, render, send, record); then the same with the
  engine in a process of its own, so that the sandbox does not share its core. `--profile`
  adds cProfile's cumulative top of the in-process run (on stderr).
- crash: an engine in its own process (bench.delivery_engine, lease 3 s) killed -9 once the
  sandbox accepted half of a burst of N (1,000, two per chat), then a fresh one that takes
  over: misses, and duplicates against the rows the dead one held (in flight) and had sent
  but not recorded; how soon the new one is ready and has resent what the dead one held.
- two: two engine processes on one PostgreSQL with the rate shared through Redis (N 2,000,
  two per chat; lease `--lease`, 60 s as the setting's default): duplicates, misses, the
  combined rate. Needs TEST_DATABASE_URL and TEST_REDIS_URL (whose keys `concierge-send*`
  are deleted first); skipped with a note otherwise.

SQLite always, PostgreSQL too when TEST_DATABASE_URL is set (its schema is reset before each
run). `--messages` sets N for every mode. Numbers are printed as they come; the last line is
one JSON object."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import json
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import func, select

from bench.delivery_engine import KIND, TOKEN, note, row_of, text_of
from bench.desks import reset_postgres
from bot.app import Runtime, create_bot, open_runtime
from bot.sandbox import SandboxServer
from bot.settings import load_settings
from scheduler.delivery import BATCH, IDLE_LOOK, Delivery, Rendered
from storage import outbox
from storage.base import utcnow
from storage.engine import unit_of_work
from storage.outbox import OutboxMessage, State

FIRST_CHAT = 500_000
MODES = ("steady", "burst", "ceiling", "crash", "two")
DEFAULT_MESSAGES = {"steady": 2000, "burst": 10_000, "ceiling": 10_000, "crash": 1000, "two": 2000}
FULL_SPAN = 600.0  # the spec's steady span, for its 2,000 reminders
CRASH_LEASE = 3.0
INJECTED_429 = 3  # spread over a burst, each retry_after 1 s: three pauses
INJECTED_500 = 3
CHUNK = 2000


# --- the sandbox's side -------------------------------------------------------------------


@dataclass
class People:
    reachable: list[int] = field(default_factory=list)  # pressed Start
    blocked: list[int] = field(default_factory=list)  # pressed Start, then blocked: 403
    gone: list[int] = field(default_factory=list)  # never started: "chat not found"


def populate(server: SandboxServer, chats: int, *, failing: bool = True) -> People:
    """`chats` chats from FIRST_CHAT on; with `failing`, 1% blocked and 1% gone."""
    people = People()
    for n in range(chats):
        chat = FIRST_CHAT + n
        if failing and n % 100 == 49:
            people.gone.append(chat)
            continue
        state = server.state.chat_of(server.user(chat, f"P{n}").info)
        if failing and n % 100 == 99:
            state.blocked = True
            people.blocked.append(chat)
        else:
            people.reachable.append(chat)
    return people


class Recorder:
    """Every sendMessage the sandbox accepted (stored), when; refused attempts left nothing."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.accepted: list[tuple[float, int, str]] = []  # time, chat, text
        self.on_accept: Callable[[int], None] | None = None
        call = server.api.call

        async def recording(method: str, params: Any) -> Any:
            result = await call(method, params)
            if method.lower() == "sendmessage":
                self.accepted.append((time.time(), int(result["chat"]["id"]), result["text"]))
                if self.on_accept is not None:
                    self.on_accept(len(self.accepted))
            return result

        server.api.call = recording  # type: ignore[method-assign]

    def attempts(self) -> list[tuple[float, int]]:
        """Every sendMessage that arrived (refused ones too): time, chat."""
        return [
            (call.time, int(call.params.get("chat_id", 0)))
            for call in self.server.calls
            if call.method == "sendMessage"
        ]

    def inject_along(self, at: Mapping[int, str]) -> None:
        """Fail the n-th sendMessage to arrive with at[n] ("429" or "500")."""
        arrived = 0

        def hook(method: str, _params: Any) -> None:
            nonlocal arrived
            if method.lower() == "sendmessage":
                arrived += 1
                if arrived in at:
                    self.server.inject("sendMessage", error=at[arrived], retry_after=1)  # type: ignore[arg-type]

        self.server.on_call(hook)


def most_within(times: Sequence[float], width: float = 1.0) -> int:
    """The most of `times` (sorted) that fall within one window of `width` seconds."""
    best = start = 0
    for end, moment in enumerate(times):
        while moment - times[start] >= width:
            start += 1
        best = max(best, end - start + 1)
    return best


def tally(recorder: Recorder, expected: Collection[str], rate: float) -> dict[str, Any]:
    """Duplicates, misses, the rate as the sandbox saw it, and the per-chat pace."""
    accepted = recorder.accepted
    attempts = recorder.attempts()
    texts = Counter(text for _, _, text in accepted)
    delivered = set(texts)
    span = (accepted[-1][0] - attempts[0][0]) if accepted and attempts else 0.0
    per_chat: dict[int, list[float]] = defaultdict(list)
    for moment, chat, _ in accepted:
        per_chat[chat].append(moment)
    gaps = [b - a for times in per_chat.values() for a, b in pairwise(times)]
    tried: dict[int, list[float]] = defaultdict(list)
    for moment, chat in attempts:
        tried[chat].append(moment)
    tried_gaps = [b - a for times in tried.values() for a, b in pairwise(times)]
    achieved = len(accepted) / span if span else None
    pauses = [
        (error.time, error.time + int(error.description.rsplit(" ", 1)[1]))
        for error in recorder.server.errors
        if error.method == "sendMessage" and error.error_code == 429
    ]
    return {
        "expected": len(expected),
        "accepted": len(accepted),
        "attempts": len(attempts),
        "duplicates": sum(count - 1 for count in texts.values()),
        "misses": len(set(expected) - delivered),
        "unexpected": len(delivered - set(expected)),
        "sandbox_seconds": round(span, 2),
        "achieved_rate": round(achieved, 1) if achieved else None,
        "attempt_rate": round(len(attempts) / span, 1) if span else None,
        "configured_rate": rate or None,
        "rate_ratio": round(achieved / rate, 3) if rate and achieved else None,
        "rate_ratio_attempts": round(len(attempts) / span / rate, 3) if rate and span else None,
        "max_accepted_in_1s": most_within([moment for moment, _, _ in accepted]),
        "max_attempts_in_1s": most_within([moment for moment, _ in attempts]),
        "max_per_chat_in_1s": max((most_within(t) for t in per_chat.values()), default=0),
        "chats_over_1_per_s": sum(1 for t in per_chat.values() if most_within(t) > 1),
        "min_chat_gap_s": round(min(gaps), 3) if gaps else None,
        "min_chat_gap_attempts_s": round(min(tried_gaps), 3) if tried_gaps else None,
        "429s": len(pauses),
        "accepted_during_429_pause": sum(
            1 for moment, _, _ in accepted if any(a < moment < b for a, b in pauses)
        ),
    }


# --- the database's side ------------------------------------------------------------------


def backends(folder: str, wanted: Iterable[str]) -> dict[str, str]:
    urls = {"sqlite": "sqlite+aiosqlite:///" + folder + "/bench-{run}.db"}
    if os.environ.get("TEST_DATABASE_URL"):
        urls["postgresql"] = os.environ["TEST_DATABASE_URL"]
    return {name: url for name, url in urls.items() if name in wanted}


async def fresh_database(url: str, run: str) -> str:
    if url.startswith("postgresql"):
        await reset_postgres(url)
    return url.format(run=run)


async def open_bench_runtime(database: str, api: str) -> Runtime:
    settings = load_settings(
        database_url=database, redis_url=None, bot_token=TOKEN, telegram_api_url=api
    )
    return await open_runtime(settings)


async def enqueue_all(
    runtime: Runtime, plan: Sequence[tuple[int, datetime | None]]
) -> dict[int, datetime]:
    """Write one row per (chat, due_at; None: now), CHUNK a transaction: their due_at by id."""
    due: dict[int, datetime] = {}
    for start in range(0, len(plan), CHUNK):
        async with unit_of_work(runtime.factory) as session:
            rows = [
                outbox.enqueue(session, chat, KIND, due_at=when)
                for chat, when in plan[start : start + CHUNK]
            ]
            await session.flush()
            due.update((row.id, row.due_at) for row in rows)
    return due


def expected_texts(due: Mapping[int, Any], chat_of: Mapping[int, int], people: People) -> set[str]:
    reachable = set(people.reachable)
    return {text_of(row_id) for row_id in due if chat_of[row_id] in reachable}


async def states(runtime: Runtime) -> dict[str, int]:
    async with unit_of_work(runtime.factory) as session:
        counts = await session.execute(
            select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
        )
        return {str(state): int(count) for state, count in counts}


async def wait_outbox_done(runtime: Runtime, within: float) -> None:
    """Until no row is pending or being sent (rows of engines in other processes)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        counts = await states(runtime)
        if not counts.get(State.PENDING) and not counts.get(State.SENDING):
            return
        await asyncio.sleep(0.25)
    raise TimeoutError(f"outbox not done after {within:g} s: {await states(runtime)}")


# --- the engine, in this process ----------------------------------------------------------


class Profiled(Delivery):
    """The engine, timing the phases of its rounds (they run one after the other)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.phases: Counter[str] = Counter()
        self.rounds = 0
        self._marks: dict[str, float] = {}

    async def deliver_due(self) -> int:
        self._marks = {"start": time.perf_counter()}
        handled = await super().deliver_due()
        end = time.perf_counter()
        marks = self._marks
        if not handled:
            self.phases["empty rounds"] += end - marks["start"]
            return handled
        self.rounds += 1
        self.phases["claim"] += marks["render"] - marks["start"]
        self.phases["render"] += marks["rendered"] - marks["render"]
        self.phases["send"] += marks["sent"] - marks["rendered"]
        self.phases["record"] += end - marks["sent"]
        return handled

    async def _render(
        self, rows: Sequence[OutboxMessage], now: datetime
    ) -> dict[int, Sequence[Rendered] | outbox.Outcome]:
        self._marks["render"] = time.perf_counter()
        rendered = await super()._render(rows, now)
        self._marks["rendered"] = self._marks["sent"] = time.perf_counter()
        return rendered

    async def _send_chat(self, *args: Any, **kwargs: Any) -> list[outbox.Outcome]:
        outcomes = await super()._send_chat(*args, **kwargs)
        self._marks["sent"] = time.perf_counter()
        return outcomes

    def breakdown(self, messages: int) -> dict[str, Any]:
        total = sum(self.phases.values()) or 1.0
        return {
            "rounds": self.rounds,
            "ms_per_message": {k: round(v * 1000 / messages, 3) for k, v in self.phases.items()},
            "share": {k: round(v / total, 3) for k, v in self.phases.items()},
        }


async def drain(delivery: Delivery, runtime: Runtime) -> None:
    """Rounds until nothing is left to send (pauses and retries waited out)."""
    while True:
        if await delivery.deliver_due():
            continue
        if delivery.paused_until is None:
            async with unit_of_work(runtime.factory) as session:
                if await outbox.next_due(session) is None:
                    return
        await asyncio.sleep(0.05)


async def in_process(
    url: str,
    run: str,
    *,
    messages: int,
    per_chat: int,
    rate: float,
    batch: int,
    faults: bool,
    profile: bool = False,
) -> dict[str, Any]:
    """A burst due at once, drained by an engine in this process."""
    database = await fresh_database(url, run)
    chats = max(1, messages // per_chat)
    async with SandboxServer() as server:
        people = populate(server, chats)
        recorder = Recorder(server)
        if faults:
            step = max(1, messages // (INJECTED_429 + INJECTED_500 + 1))
            kinds = ["429", "500"] * max(INJECTED_429, INJECTED_500)
            recorder.inject_along({step * (n + 1): kind for n, kind in enumerate(kinds)})
        runtime = await open_bench_runtime(database, server.url)
        bot = create_bot(runtime.settings, TOKEN, retrying=False)
        try:
            plan = [(FIRST_CHAT + n % chats, None) for n in range(messages)]
            due = await enqueue_all(runtime, plan)
            chat_of = {row_id: chat for row_id, (chat, _) in zip(due, plan, strict=True)}
            delivery = Profiled(
                runtime.factory, bot, runtime.i18n, {KIND: note}, rate=rate, batch=batch
            )
            profiler = cProfile.Profile() if profile else None
            started = time.perf_counter()
            if profiler is not None:
                profiler.enable()
            await drain(delivery, runtime)
            if profiler is not None:
                profiler.disable()
            elapsed = time.perf_counter() - started
            counts = await states(runtime)
        finally:
            await bot.session.close()
            await runtime.close()
    result = {
        "messages": messages,
        "chats": chats,
        "batch": delivery.batch,
        "seconds": round(elapsed, 2),
        "engine_rate": round(len(recorder.accepted) / elapsed, 1),
        **tally(recorder, expected_texts(due, chat_of, people), rate),
        "rounds": delivery.breakdown(messages),
        "states": counts,
    }
    if profiler is not None:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
        stats.print_stats(r"scheduler|storage|sandbox|aiogram/(client|methods)|aiohttp/client", 30)
        print(out.getvalue(), file=sys.stderr, flush=True)
    return result


# --- the engine, in processes of its own --------------------------------------------------


class EngineProcess:
    """bench.delivery_engine, started and stopped (or killed) by this process."""

    def __init__(self, process: asyncio.subprocess.Process, owner: str) -> None:
        self.process = process
        self.owner = owner

    @classmethod
    async def start(
        cls, database: str, api: str, *, rate: float, lease: float, batch: int, redis: str | None
    ) -> EngineProcess:
        argv = ["--database", database, "--api", api, "--rate", str(rate)]
        argv += ["--lease", str(lease), "--batch", str(batch)]
        if redis:
            argv += ["--redis", redis]
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.delivery_engine", *argv, stdout=asyncio.subprocess.PIPE
        )
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode().split()
        if not line or line[0] != "ready":
            raise RuntimeError(f"the engine process did not start: {line}")
        return cls(process, line[1])

    def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                self.process.kill()
        await self.process.wait()


async def processes(
    url: str,
    run: str,
    *,
    messages: int,
    per_chat: int,
    rate: float,
    batch: int,
    engines: int = 1,
    lease: float,
    redis: str | None = None,
    kill_at: int | None = None,
) -> dict[str, Any]:
    """A burst due at once, sent by `engines` processes; with `kill_at`, the one engine is
    killed -9 when the sandbox accepts that many messages, and another started."""
    database = await fresh_database(url, run)
    chats = max(1, messages // per_chat)
    async with SandboxServer() as server:
        people = populate(server, chats)
        recorder = Recorder(server)
        runtime = await open_bench_runtime(database, server.url)
        running: list[EngineProcess] = []
        crash: dict[str, Any] = {}
        try:
            plan = [(FIRST_CHAT + n % chats, None) for n in range(messages)]
            due = await enqueue_all(runtime, plan)
            chat_of = {row_id: chat for row_id, (chat, _) in zip(due, plan, strict=True)}

            async def engine() -> EngineProcess:
                started = await EngineProcess.start(
                    database, server.url, rate=rate, lease=lease, batch=batch, redis=redis
                )
                running.append(started)
                return started

            killed = asyncio.Event()
            if kill_at is not None:

                def kill(accepted: int) -> None:
                    if accepted >= kill_at and not killed.is_set():
                        running[0].kill()  # before the sandbox answers this very message
                        crash["killed_at"] = time.time()
                        killed.set()

                recorder.on_accept = kill
            started = time.perf_counter()
            for _ in range(engines):
                await engine()
            if kill_at is not None:
                await asyncio.wait_for(killed.wait(), messages / (rate or 100) * 4 + 60)
                await running[0].process.wait()
                await asyncio.sleep(0.3)  # what the sandbox had read already gets answered
                crash |= await in_flight(runtime, running[0].owner, recorder)
                await engine()
                crash["restarted_at"] = time.time()  # the new engine is ready
            await wait_outbox_done(runtime, messages / (rate or 100) * 4 + 120)
            elapsed = time.perf_counter() - started
            counts = await states(runtime)
        finally:
            for process in running:
                await process.stop()
            await runtime.close()
    result: dict[str, Any] = {
        "messages": messages,
        "chats": chats,
        "engines": engines,
        "lease_s": lease,
        "seconds": round(elapsed, 2),
        **tally(recorder, expected_texts(due, chat_of, people), rate),
        "states": counts,
    }
    if kill_at is not None:
        result["crash"] = after_crash(crash, recorder)
    return result


async def in_flight(runtime: Runtime, owner: str, recorder: Recorder) -> dict[str, Any]:
    """The rows the dead engine held, and those of them the sandbox had accepted already."""
    async with unit_of_work(runtime.factory) as session:
        held = list(
            await session.scalars(
                select(OutboxMessage.id).where(
                    OutboxMessage.state == State.SENDING, OutboxMessage.lease_owner == owner
                )
            )
        )
    accepted = {text for _, _, text in recorder.accepted}
    sent = {text_of(row_id) for row_id in held} & accepted
    return {
        "accepted_at_kill": len(recorder.accepted),
        "in_flight_claimed": len(held),
        "in_flight_sent_unrecorded": len(sent),
        "sent_unrecorded_texts": sent,
        "held_texts": {text_of(row_id) for row_id in held},
    }


def after_crash(crash: dict[str, Any], recorder: Recorder) -> dict[str, Any]:
    """How the restart went: when sending resumed, and whether every duplicate is a message
    the dead engine had sent without recording it."""
    killed, restarted = crash.pop("killed_at"), crash.pop("restarted_at")
    resent = crash.pop("sent_unrecorded_texts")
    texts = Counter(text for _, _, text in recorder.accepted)
    later = [moment for moment, _, _ in recorder.accepted if moment > restarted]
    held = crash.pop("held_texts")
    retaken = [moment for moment, _, text in recorder.accepted if text in held and moment > killed]
    return crash | {
        "ready_s_after_kill": round(restarted - killed, 2),
        "first_accepted_s_after_ready": round(later[0] - restarted, 2) if later else None,
        "held_rows_resent_by_s_after_kill": round(max(retaken) - killed, 2) if retaken else None,
        "duplicates_of_in_flight": sum(texts[text] - 1 for text in resent),
        "duplicates_outside_in_flight": sum(
            count - 1 for text, count in texts.items() if text not in resent
        ),
    }


async def clear_rate_keys(redis_url: str) -> None:
    from redis.asyncio import Redis

    redis = Redis.from_url(redis_url)
    try:
        keys = [key async for key in redis.scan_iter("concierge-send*")]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()


# --- the modes ----------------------------------------------------------------------------


async def steady(
    url: str, *, messages: int, span: float, rate: float, batch: int
) -> dict[str, Any]:
    """Reminders due over `span` seconds, enqueued at once while the running engine idles."""
    database = await fresh_database(url, "steady")
    async with SandboxServer() as server:
        people = populate(server, messages, failing=False)
        recorder = Recorder(server)
        runtime = await open_bench_runtime(database, server.url)
        bot = create_bot(runtime.settings, TOKEN, retrying=False)
        delivery = Delivery(
            runtime.factory, bot, runtime.i18n, {KIND: note}, rate=rate, batch=batch
        )
        engine = asyncio.create_task(delivery.run(runtime.doorbell))
        try:
            await asyncio.sleep(0.5)  # it looked, found nothing, and sleeps IDLE_LOOK
            rng = random.Random(7)
            base = utcnow() + timedelta(seconds=1)
            plan = [
                (chat, base + timedelta(seconds=rng.uniform(0, span))) for chat in people.reachable
            ]
            everything = asyncio.Event()

            def counted(accepted: int) -> None:
                if accepted >= len(plan):
                    everything.set()

            recorder.on_accept = counted
            due = await enqueue_all(runtime, plan)
            written = utcnow()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(everything.wait(), span + IDLE_LOOK + 60)
        finally:
            engine.cancel()
            await asyncio.gather(engine, return_exceptions=True)
            await bot.session.close()
            await runtime.close()
    late: list[float] = []
    early: list[float] = []  # due before the engine's first look after the writing
    first_look = written + timedelta(seconds=IDLE_LOOK)
    for moment, _, text in recorder.accepted:
        due_at = due[row_of(text)]
        (early if due_at < first_look else late).append(moment - due_at.timestamp())
    every = sorted(late + early)
    return {
        "messages": len(due),
        "span_s": span,
        "compressed": span < FULL_SPAN,
        "load_per_s": round(len(due) / span, 2),
        "configured_rate": rate or None,
        "accepted": len(recorder.accepted),
        "misses": len(due) - len({text for _, _, text in recorder.accepted}),
        "lateness_s": percentiles(every),
        "due_within_first_idle_look": {"rows": len(early), "lateness_s": percentiles(early)},
        "due_later": {"rows": len(late), "lateness_s": percentiles(late)},
        "over_2s": sum(1 for value in every if value > 2),
    }


def percentiles(values: Sequence[float]) -> dict[str, float] | None:
    if not values:
        return None
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered), 3),
        "p99": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 3),
        "max": round(ordered[-1], 3),
    }


async def main(args: argparse.Namespace) -> dict[str, Any]:
    modes = MODES if args.mode == "all" else (args.mode,)
    size = {mode: args.messages or DEFAULT_MESSAGES[mode] for mode in MODES}
    results: dict[str, Any] = {}

    def report(name: str, result: Any) -> None:
        results[name] = result
        print(name, json.dumps(result), flush=True)

    postgres = os.environ.get("TEST_DATABASE_URL")
    redis = os.environ.get("TEST_REDIS_URL")
    with tempfile.TemporaryDirectory() as folder:
        urls = backends(folder, args.backends.split(","))
        for mode in modes:
            if mode == "two" and not (postgres and redis and "postgresql" in urls):
                print("two: skipped, it needs TEST_DATABASE_URL and TEST_REDIS_URL", flush=True)
                report("two", {"skipped": "TEST_DATABASE_URL and TEST_REDIS_URL needed"})
                continue
            for name, url in urls.items():
                common = {"rate": args.rate, "batch": args.batch}
                label = f"{name}_{mode}"
                if mode == "steady":
                    messages = args.messages or round(
                        DEFAULT_MESSAGES["steady"] * args.span / FULL_SPAN
                    )
                    result = await steady(url, messages=messages, span=args.span, **common)
                elif mode == "burst":
                    result = await in_process(
                        url, "burst", messages=size[mode], per_chat=2, faults=True, **common
                    )
                elif mode == "ceiling":
                    unlimited = {"rate": 0.0, "batch": args.batch}
                    options = {"messages": size[mode], "per_chat": 1, **unlimited}
                    result = await in_process(
                        url, "ceiling", faults=False, profile=args.profile, **options
                    )
                    report(label, result)
                    result = await processes(url, "ceiling-process", lease=60, **options)
                    label = f"{name}_ceiling_process"
                elif mode == "crash":
                    result = await processes(
                        url,
                        "crash",
                        messages=size[mode],
                        per_chat=2,
                        lease=CRASH_LEASE,
                        kill_at=size[mode] // 2,
                        **common,
                    )
                else:
                    if name != "postgresql":
                        continue
                    assert redis is not None
                    await clear_rate_keys(redis)
                    result = await processes(
                        url,
                        "two",
                        messages=size[mode],
                        per_chat=2,
                        engines=2,
                        lease=args.lease,
                        redis=redis,
                        **common,
                    )
                report(label, result)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=(*MODES, "all"), default="all")
    parser.add_argument("--messages", type=int, default=0, help="N for every mode")
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--span", type=float, default=60.0, help="steady: seconds of due_at")
    parser.add_argument("--batch", type=int, default=BATCH)
    parser.add_argument("--lease", type=float, default=60.0, help="two: the engines' lease")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--profile", action="store_true", help="ceiling: cProfile on stderr")
    print(json.dumps(asyncio.run(main(parser.parse_args()))))
