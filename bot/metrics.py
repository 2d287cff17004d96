"""What /metrics exposes (Prometheus), and the count of updates in flight awaited at shutdown.

Every `Metrics` has a registry of its own: the tests build many runtimes in one process, and
a module-level registry would mix their counts (and refuse a second metric of the same name).
"""

from __future__ import annotations

import asyncio
import logging

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy.exc import SQLAlchemyError

from storage import outbox
from storage.base import WallClock, utcnow
from storage.engine import SessionFactory, unit_of_work

log = logging.getLogger(__name__)
UNHANDLED = "unhandled"  # the handler label of an update no handler took
LANES = {0: "urgent", outbox.BULK: "bulk"}  # outbox priorities as /metrics names them
NAN = float("nan")
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """The counters of one process; `/metrics` renders them with the outbox read at scrape."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        r = self.registry
        self._updates = Counter(
            "concierge_updates", "Updates handled, by handler", ["handler"], registry=r
        )
        self._latency = Histogram(
            "concierge_update_duration_seconds",
            "Time from receiving an update to finishing it, by handler",
            ["handler"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self._errors = Counter("concierge_errors", "Updates that failed", registry=r)
        self._throttled = Counter(
            "concierge_throttled", "Updates dropped by flood control", registry=r
        )
        gauge = Gauge("concierge_updates_in_flight", "Updates being handled now", registry=r)
        gauge.set_function(lambda: self.in_flight)
        self._faq = Counter(
            "concierge_faq_questions",
            "Questions asked, by what the bot did",
            ["outcome"],
            registry=r,
        )
        self._bookings = Counter(
            "concierge_bookings", "Bookings made (committed), by kind", ["kind"], registry=r
        )
        self._messages = Counter(
            "concierge_messages",
            "Messages the delivery engine finished with, by outcome",
            ["outcome"],
            registry=r,
        )
        self._retry_after = Counter(
            "concierge_telegram_retry_after", "429 answers: Telegram asked to wait", registry=r
        )
        self._retry_seconds = Counter(
            "concierge_telegram_retry_after_seconds", "Seconds Telegram asked to wait", registry=r
        )
        self._depth = Gauge(
            "concierge_outbox_depth", "Outbox rows due and not yet sent", ["lane"], registry=r
        )
        self._lateness = Gauge(
            "concierge_outbox_lateness_seconds",
            "How overdue the oldest due outbox row is",
            ["lane"],
            registry=r,
        )

    # --- updates (the middlewares) --------------------------------------------------------

    def started(self) -> None:
        self.in_flight += 1
        self._idle.clear()

    def finished(self) -> None:
        self.in_flight -= 1
        if self.in_flight == 0:
            self._idle.set()

    async def drained(self, grace: float) -> bool:
        """Wait until no update is being handled; False if `grace` seconds passed first."""
        if self._idle.is_set():
            return True
        try:
            await asyncio.wait_for(self._idle.wait(), grace)
        except TimeoutError:
            return False
        return True

    def handled(self, handler: str, seconds: float) -> None:
        self._updates.labels(handler).inc()
        self._latency.labels(handler).observe(seconds)

    def failed(self) -> None:
        self._errors.inc()

    def throttled(self) -> None:
        self._throttled.inc()

    @property
    def errors_total(self) -> int:
        return int(self.registry.get_sample_value("concierge_errors_total") or 0)

    # --- what people did (storage.tally, after the commit) --------------------------------

    def tally(self, what: str, kind: str) -> None:
        """The sink of `storage.tally`: called once the transaction that did it committed."""
        if what == "booking":
            self._bookings.labels(kind).inc()
        elif what == "faq":
            self._faq.labels(kind).inc()

    # --- the delivery engine (scheduler.delivery.DeliveryMetrics) -------------------------

    def delivered(self, state: str, blocked: bool) -> None:
        """A message the engine is done with: sent, failed, or dropped (blocked if the
        recipient blocked the bot)."""
        self._messages.labels("blocked" if blocked else state).inc()

    def retry_after(self, seconds: float) -> None:
        self._retry_after.inc()
        self._retry_seconds.inc(seconds)

    # --- the exposition -------------------------------------------------------------------

    async def exposition(self, factory: SessionFactory, clock: WallClock = utcnow) -> bytes:
        """The Prometheus text, with the outbox's backlog read now (NaN if the database does
        not answer: a missing number, not a reassuring zero)."""
        try:
            async with unit_of_work(factory) as session:
                lanes = await outbox.backlog(session, clock())
        except (OSError, SQLAlchemyError) as exc:
            log.warning("metrics: cannot read the outbox (%s)", exc)
            lanes = None
        for priority in LANES.keys() | (lanes or {}).keys():
            lane = LANES.get(priority, str(priority))
            depth, lateness = (NAN, NAN) if lanes is None else lanes.get(priority, (0, 0.0))
            self._depth.labels(lane).set(depth)
            self._lateness.labels(lane).set(lateness)
        return generate_latest(self.registry)
