"""The delivery engine: sends what the outbox holds, at Telegram's pace, never twice.

A round claims the due rows (storage.outbox.claim, under a lease), renders each in its
recipient's current language from the current state (a renderer per kind; None drops the
row), sends them — one chat's rows in order, chats side by side — under a global rate for the
bot (SEND_RATE, shared by every instance through Redis when REDIS_URL is set), one message a
second per chat and 20 a minute per group, and records the outcomes as they come (every
RECORD_EVERY seconds: a crash can send again only what went out in that last moment, the
engine's in-flight window). Notices and reminders come first; a broadcast's rows fill the
rest of a round, a couple of seconds' worth at a time, so nothing urgent waits behind a
broadcast. No transaction is open while Telegram is called. A rendered part may be an edit
of a message sent before (a request whose buttons no longer apply): "not modified" or "not
found" then means done; or a photo or document with its caption (a broadcast's).

Failures: a 429 pauses the whole engine for its retry_after (the rows wait, those that stop
being useful meanwhile are dropped and logged; a pause of a minute or more is told to the
staff once, with the time it ends; replies to people chatting with the bot go on meanwhile);
network errors and 5xx are retried with backoff up to `max_attempts`, then the row is
`failed`; a 403 or "chat not found" marks the person blocked and drops what else waits for
them; any other 400 fails the row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from babel.dates import format_time
from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from sqlalchemy.ext.asyncio import AsyncSession

from storage import outbox
from storage.base import WallClock, utcnow
from storage.engine import SessionFactory, unit_of_work
from storage.outbox import Doorbell, OutboxMessage, Outcome, State
from storage.users import User, mark_blocked, reachable_staff, users_by_id

log = logging.getLogger(__name__)

BATCH = 200
LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 5
IDLE_LOOK = 5.0  # seconds between looks at the outbox when nothing rings (other instances)
MIN_LOOK = 0.2  # at least this between rounds that found nothing (a due row behind a retry)
PER_CHAT = RateLimitItemPerSecond(1)
PER_GROUP = RateLimitItemPerMinute(20)
CONCURRENT_CHATS = 32
LONG_PAUSE = 60  # seconds: a pause the staff are told of
CATCH_UP = 5  # sends an instance that fell behind its spacing may make at once
BULK_SECONDS = 2.0  # a round holds at most this many seconds' worth of broadcast rows
RECORD_EVERY = 0.25  # seconds between recordings of what a round has sent so far


@dataclass(frozen=True, slots=True)
class Rendered:
    """One message as it goes out; with `edit`, the new text of a message sent before (its
    Telegram id), e.g. a request whose buttons no longer apply."""

    text: str
    markup: InlineKeyboardMarkup | None = None
    edit: int | None = None
    media: tuple[str, str] | None = None  # ("photo" | "document", file_id); `text` its caption


# Telegram's answers to an edit that has nothing left to do: the message already says it, or
# it is gone (deleted by the person) or too old to edit. The edit is then done, not failed.
_NOTHING_TO_EDIT = ("message is not modified", "message to edit not found", "can't be edited")


# The moment a round renders at (the engine's clock, which tests set): renderers that say how
# long is left, or whether something is still ahead, read it with `render_time()`.
_RENDER_TIME: ContextVar[datetime | None] = ContextVar("render_time", default=None)


def render_time() -> datetime:
    return _RENDER_TIME.get() or utcnow()


# A kind's renderer: the message(s) for a row, in the current locale (the recipient's), from
# the current state; None or [] when there is nothing to send any more (the row is dropped).
Renderer = Callable[[AsyncSession, OutboxMessage], Awaitable[Sequence[Rendered] | None]]


# What to do, in the transaction that records it, when a row of a kind could not be delivered
# for good (failed, or the recipient blocked the bot): e.g. tell whoever wrote it.
Bounce = Callable[[AsyncSession, OutboxMessage, Outcome], Awaitable[None]]


class DeliveryMetrics(Protocol):
    """Where the engine counts what it did (bot.metrics.Metrics)."""

    def delivered(self, state: str, blocked: bool) -> None: ...

    def retry_after(self, seconds: float) -> None: ...


def rate_storage(redis_url: str | None) -> Storage:
    """Where the rate is counted: Redis (shared by every instance) or this process's memory."""
    if redis_url:
        uri = "async+" + redis_url if not redis_url.startswith("async+") else redis_url
        return RedisStorage(uri, implementation="redispy", key_prefix="concierge-send")
    return MemoryStorage()


class Delivery:
    """The engine of one process (any number may run on one database)."""

    def __init__(
        self,
        factory: SessionFactory,
        bot: Bot,
        i18n: I18n,
        renderers: Mapping[str, Renderer],
        *,
        rate: float = 25.0,
        storage: Storage | None = None,
        clock: WallClock = utcnow,
        owner: str | None = None,
        max_attempts: int = MAX_ATTEMPTS,
        lease: timedelta = LEASE,
        batch: int = BATCH,
        admin_ids: frozenset[int] = frozenset(),
        bounces: Mapping[str, Bounce] | None = None,
        metrics: DeliveryMetrics | None = None,
    ) -> None:
        self.factory = factory
        self.bot = bot
        self.i18n = i18n
        self.renderers = renderers
        self.clock = clock
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.max_attempts = max_attempts
        self.lease = lease
        # A round must end well inside its lease, or another sender would take its rows again.
        in_half_a_lease = int(rate * lease.total_seconds() / 2) if rate > 0 else batch
        self.batch = max(1, min(batch, in_half_a_lease))
        self.admin_ids = admin_ids
        self.bounces = bounces or {}
        self.metrics = metrics
        # Broadcast rows per round: a round of them lasts about BULK_SECONDS.
        self.bulk = max(1, min(self.batch, int(rate * BULK_SECONDS))) if rate > 0 else self.batch
        self.limiter = MovingWindowRateLimiter(storage or MemoryStorage())
        self.rate = _per_second(rate) if rate > 0 else None
        # Within the second the window allows, this instance spaces its sends 1/rate apart
        # rather than letting the whole second's worth out at once.
        self._gap = 1.0 / rate if rate > 0 else 0.0
        self._next_slot = 0.0  # time.monotonic() of this instance's next send
        self.paused_until: datetime | None = None
        self._pause_told = False  # the staff know of the current pause
        self._in_round = False
        self._held_until = datetime.max.replace(tzinfo=UTC)  # the round's leases, renewed
        self._doorbell: Doorbell | None = None

    @property
    def idle(self) -> bool:
        """Nothing being sent, and not rung since the last round (the sandbox waits for it)."""
        rung = self._doorbell is not None and self._doorbell.rung
        return not self._in_round and not rung

    async def run(self, doorbell: Doorbell) -> None:
        """Deliver until cancelled: at once when rung, otherwise when the next row falls due
        (looking at least every IDLE_LOOK seconds, for rows other instances wrote)."""
        self._doorbell = doorbell
        while True:
            try:
                handled = await self.deliver_due()
                pause = 0.0 if handled else max(await self._idle_seconds(), MIN_LOOK)
            except Exception:  # the database away a moment: look again shortly
                log.exception("delivery round failed")
                pause = IDLE_LOOK
            if pause:
                await doorbell.wait(pause)

    async def _idle_seconds(self) -> float:
        now = self.clock()
        if self.paused_until is not None and self.paused_until > now:
            return min((self.paused_until - now).total_seconds(), IDLE_LOOK)
        async with unit_of_work(self.factory) as session:
            due = await outbox.next_due(session)
        if due is None:
            return IDLE_LOOK
        return max(0.0, min((due - now).total_seconds(), IDLE_LOOK))

    async def deliver_due(self) -> int:
        """One round: claim, render, send, record; how many rows it handled."""
        self._in_round = True
        try:
            return await self._round()
        finally:
            self._in_round = False

    async def _round(self) -> int:
        now = self.clock()
        if self.paused_until is not None:
            if self.paused_until > now:
                return 0
            log.info("delivery resumes after Telegram's pause")
            self.paused_until = None
            self._pause_told = False
        async with unit_of_work(self.factory) as session:
            rows = await outbox.claim(
                session, self.owner, now, self.batch, self.lease, bulk_limit=self.bulk
            )
        if not rows:
            return 0
        messages = await self._render(rows, now)
        by_chat: dict[int, list[OutboxMessage]] = {}
        for row in rows:
            by_chat.setdefault(row.chat_id, []).append(row)
        gate = asyncio.Semaphore(CONCURRENT_CHATS)
        self._held_until = min(row.lease_until or now + self.lease for row in rows)
        by_id = {row.id: row for row in rows}
        done: list[Outcome] = []  # outcomes not recorded yet
        renewing = asyncio.create_task(self._renew_leases(), name="delivery-lease")
        sent_all = asyncio.Event()
        recording = asyncio.create_task(
            self._record_often(done, by_id, sent_all), name="delivery-record"
        )
        try:
            await asyncio.gather(
                *(
                    self._send_chat(gate, chat_rows, messages, done)
                    for chat_rows in by_chat.values()
                )
            )
        finally:
            renewing.cancel()
            sent_all.set()
            await recording  # (a recording under way ends first: nothing is settled twice)
        await self._record(done, by_id)
        pause = self.paused_until
        if (
            pause is not None
            and not self._pause_told
            and (pause - now).total_seconds() >= LONG_PAUSE
        ):
            self._pause_told = True
            await self._tell_staff_of_pause(pause)
        return len(rows)

    async def _record_often(
        self, done: list[Outcome], by_id: Mapping[int, OutboxMessage], sent_all: asyncio.Event
    ) -> None:
        """While a round sends, what it has sent is recorded every RECORD_EVERY seconds: should
        the process die, only the messages of that last moment can go out again (the engine's
        in-flight window), not those of the whole round."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(sent_all.wait(), RECORD_EVERY)
            if sent_all.is_set():
                return
            try:
                await self._record(done, by_id)
            except Exception:  # the database away a moment: recorded with the next ones
                log.exception("could not record what was sent")

    async def _record(self, done: list[Outcome], by_id: Mapping[int, OutboxMessage]) -> None:
        """Record the outcomes in `done` (taken out of it; put back if the write fails)."""
        outcomes = done[:]
        del done[: len(outcomes)]
        if not outcomes:
            return
        blocked = {by_id[o.id].chat_id for o in outcomes if o.error == BLOCKED}
        try:
            async with unit_of_work(self.factory) as session:
                await outbox.settle(session, self.owner, outcomes)
                for outcome in outcomes:
                    row = by_id[outcome.id]
                    undeliverable = outcome.state is State.FAILED or outcome.error == BLOCKED
                    if undeliverable and (bounce := self.bounces.get(row.kind)) is not None:
                        await bounce(session, row, outcome)
                for chat_id in blocked:
                    await mark_blocked(session, chat_id)
                    await outbox.drop_for_chat(session, chat_id, BLOCKED)
        except BaseException:
            done[:0] = outcomes
            raise
        if self.metrics is not None:
            for outcome in outcomes:
                if outcome.retry_at is None:
                    self.metrics.delivered(str(outcome.state), outcome.error == BLOCKED)

    async def _tell_staff_of_pause(self, resume: datetime) -> None:
        """Once a pause: the staff hear that the bot's own messages wait, and until when
        (sent past the pause, one try each: Telegram may well refuse these too)."""
        async with unit_of_work(self.factory) as session:
            staff = await reachable_staff(session, self.admin_ids)
            people = await users_by_id(session, staff)
        for chat_id in staff:
            locale = self._locale_of(people.get(chat_id))
            with self.i18n.context(), self.i18n.use_locale(locale):
                text = _(
                    "⏸ Telegram has asked the bot to slow down. Reminders, notices and other "
                    "messages the bot sends on its own wait until {time} UTC, then go out in "
                    "order; those no longer useful by then are dropped. Replies to people "
                    "chatting with the bot are not affected."
                ).format(time=format_time(resume, "short", tzinfo=UTC, locale=locale))
            try:
                await self.bot.send_message(chat_id, text)
            except TelegramAPIError as error:
                log.warning("could not tell %s of the pause: %s", chat_id, error)

    async def _render(
        self, rows: Sequence[OutboxMessage], now: datetime
    ) -> dict[int, Sequence[Rendered] | Outcome]:
        """Each row's messages, or its outcome when it is not to be sent."""
        rendered: dict[int, Sequence[Rendered] | Outcome] = {}
        moment = _RENDER_TIME.set(now)
        try:
            async with unit_of_work(self.factory) as session:
                people = await users_by_id(session, {row.chat_id for row in rows})
                for row in rows:
                    if row.useful_until is not None and row.useful_until <= now:
                        log.info("message %s (%s) dropped: too late to be useful", row.id, row.kind)
                        rendered[row.id] = Outcome(row.id, State.DROPPED, "no longer useful")
                        continue
                    renderer = self.renderers.get(row.kind)
                    if renderer is None:
                        rendered[row.id] = Outcome(row.id, State.FAILED, f"no renderer: {row.kind}")
                        continue
                    # (someone marked blocked is still tried: only a 403 tells the truth)
                    with (
                        self.i18n.context(),
                        self.i18n.use_locale(self._locale_of(people.get(row.chat_id))),
                    ):
                        parts = await renderer(session, row)
                    rendered[row.id] = (
                        list(parts) if parts else Outcome(row.id, State.DROPPED, "nothing to send")
                    )
        finally:
            _RENDER_TIME.reset(moment)
        return rendered

    async def _send_chat(
        self,
        gate: asyncio.Semaphore,
        rows: Sequence[OutboxMessage],
        messages: Mapping[int, Sequence[Rendered] | Outcome],
        done: list[Outcome],
    ) -> None:
        """One chat's rows, in order, each outcome added to `done` as it is known; once the
        chat is gone, the rest are dropped."""
        last: Outcome | None = None
        async with gate:
            for row in rows:
                prepared = messages[row.id]
                if isinstance(prepared, Outcome):
                    last = prepared
                elif last is not None and last.error == BLOCKED:
                    last = Outcome(row.id, State.DROPPED, BLOCKED)
                else:
                    last = await self._send(row, prepared)
                done.append(last)

    async def _send(self, row: OutboxMessage, parts: Sequence[Rendered]) -> Outcome:
        if self.paused_until is not None:  # another chat was told to wait meanwhile
            return self._wait_out(row, "paused by Telegram")
        try:
            message_id = None
            for number, part in enumerate(parts):
                await self._pace(row.chat_id)
                if number == 0:  # (the later parts of a message already begun go on)
                    if self.paused_until is not None:  # told to wait while this one waited
                        return self._wait_out(row, "paused by Telegram")
                    if not self._still_ours():  # the wait ate the lease
                        return Outcome(row.id, State.PENDING, LEASE_LOST, retry_at=self.clock())
                if part.edit is not None:
                    message_id = await self._edit(row.chat_id, part)
                    continue
                message_id = (await self._post(row.chat_id, part)).message_id
        except TelegramRetryAfter as error:
            resume = self.clock() + timedelta(seconds=error.retry_after)
            if self.metrics is not None:
                self.metrics.retry_after(error.retry_after)
            if self.paused_until is None or resume > self.paused_until:
                self.paused_until = resume
                log.warning("Telegram asks to wait %s s: delivery pauses", error.retry_after)
            return self._wait_out(row, error.message)
        except TelegramForbiddenError:
            log.info("message %s not delivered, %s blocked the bot", row.id, row.chat_id)
            return Outcome(row.id, State.DROPPED, BLOCKED)
        except TelegramBadRequest as error:
            if "chat not found" in error.message.lower():
                return Outcome(row.id, State.DROPPED, BLOCKED)
            log.warning("message %s refused by Telegram: %s", row.id, error.message)
            return Outcome(row.id, State.FAILED, error.message)
        except (TelegramNetworkError, TelegramServerError) as error:
            if row.attempts >= self.max_attempts:
                log.error("message %s failed after %d attempts: %s", row.id, row.attempts, error)
                return Outcome(row.id, State.FAILED, str(error))
            backoff = timedelta(seconds=min(2 ** (row.attempts - 1), 300))
            return Outcome(row.id, State.PENDING, str(error), retry_at=self.clock() + backoff)
        return Outcome(row.id, State.SENT, message_id=message_id)

    async def _post(self, chat_id: int, part: Rendered) -> Message:
        if part.media is None:
            return await self.bot.send_message(chat_id, part.text, reply_markup=part.markup)
        kind, file_id = part.media
        send = self.bot.send_photo if kind == "photo" else self.bot.send_document
        return await send(chat_id, file_id, caption=part.text or None, reply_markup=part.markup)

    async def _edit(self, chat_id: int, part: Rendered) -> int | None:
        assert part.edit is not None
        try:
            await self.bot.edit_message_text(
                text=part.text, chat_id=chat_id, message_id=part.edit, reply_markup=part.markup
            )
        except TelegramBadRequest as error:
            if not any(words in error.message.lower() for words in _NOTHING_TO_EDIT):
                raise
        return part.edit

    def _locale_of(self, person: User | None) -> str:
        return (person and person.locale) or self.i18n.default_locale

    def _still_ours(self) -> bool:
        """Whether the round may still start sending this row. A round records what it sent
        when it ends, and another sender may take a row whose lease has run out; the leases
        are renewed while the round runs, but should the renewal stall (a starved process, the
        database away), the round stops starting sends at half the lease and gives the rest
        back: what it did send is recorded with half a lease to spare."""
        return self.clock() < self._held_until - self.lease / 2

    async def _renew_leases(self) -> None:
        """While a round sends, its leases are renewed every third of a lease: a long round
        (a shared rate, a slow Telegram) keeps its rows, and only a dead sender's run out."""
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            until = self.clock() + self.lease
            try:
                async with unit_of_work(self.factory) as session:
                    await outbox.renew(session, self.owner, until)
            except Exception:  # the database away a moment: the lease as it was stands
                log.exception("could not renew the delivery leases")
                continue
            self._held_until = until

    def _wait_out(self, row: OutboxMessage, reason: str) -> Outcome:
        """Back to the queue until the pause ends; dropped if it is useless by then."""
        resume = self.paused_until or self.clock()
        if row.useful_until is not None and row.useful_until <= resume:
            log.info("message %s dropped: no longer useful when the pause ends", row.id)
            return Outcome(row.id, State.DROPPED, "no longer useful after a pause")
        return Outcome(row.id, State.PENDING, reason, retry_at=resume)

    async def _pace(self, chat_id: int) -> None:
        """Wait until this chat may have its next message, then for the bot's turn, and take
        the chat's turn last, just before the send: a turn taken early and used late would let
        the chat's next message follow too closely. (One chat is sent to by one task at a
        time, in the whole bot: `claim` gives out a chat's rows one by one.)"""
        item, key = (PER_GROUP if chat_id < 0 else PER_CHAT), str(chat_id)
        while True:
            await self._turn(item, "chat", key, take=False)
            if self.rate is not None:
                await self._space()
                await self._turn(self.rate, "bot")
            if await self.limiter.hit(item, "chat", key):
                return

    async def _space(self) -> None:
        now = time.monotonic()
        # Behind (a send took long, a pause ended), a few may go at once to catch up.
        slot = max(self._next_slot, now - CATCH_UP * self._gap)
        self._next_slot = slot + self._gap
        if slot > now:
            await asyncio.sleep(slot - now)

    async def _turn(self, item: RateLimitItem, *key: str, take: bool = True) -> None:
        """Wait until `key` has room under `item`, and (with `take`) use it."""
        check = self.limiter.hit if take else self.limiter.test
        while not await check(item, *key):
            stats = await self.limiter.get_window_stats(item, *key)
            await asyncio.sleep(max(stats.reset_time - time.time(), 0.002))


BLOCKED = "blocked the bot, or the chat is gone"
LEASE_LOST = "given back: the round ran out of lease"


def _per_second(rate: float) -> RateLimitItem:
    """`rate` messages a second as a moving window (fractions as per-minute counts)."""
    if rate >= 1 and float(rate).is_integer():
        return RateLimitItemPerSecond(int(rate))
    return RateLimitItemPerMinute(max(1, round(rate * 60)))
