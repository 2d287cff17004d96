"""Counters for /metrics and the count of updates in flight, awaited at shutdown."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


@dataclass
class Metrics:
    updates_total: int = 0
    errors_total: int = 0
    throttled_total: int = 0
    in_flight: int = 0
    _idle: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    def __post_init__(self) -> None:
        self._idle.set()

    def started(self) -> None:
        self.updates_total += 1
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

    def render(self, **gauges: int) -> str:
        """Prometheus text exposition."""
        values = {
            "concierge_updates_total": self.updates_total,
            "concierge_errors_total": self.errors_total,
            "concierge_throttled_total": self.throttled_total,
            "concierge_updates_in_flight": self.in_flight,
            **{f"concierge_{name}": value for name, value in gauges.items()},
        }
        return "".join(f"{name} {value}\n" for name, value in values.items())
