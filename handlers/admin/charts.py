"""The /stats chart: bookings per day and questions' outcomes per week, as one PNG.

Drawn on a `Figure` with the Agg canvas, never through pyplot, so nothing global is touched
and it is safe in a worker thread (`asyncio.to_thread`): every text on it arrives already
translated and formatted, because the translation context lives in the event loop's task.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from storage.stats import GROUPS, Activity

BOOKING_COLOURS = ("#4c72b0", "#55a868", "#dd8452")  # desks, coaching, events
OUTCOME_COLOURS = {"answered": "#55a868", "suggested": "#ccb974", "unknown": "#c44e52"}


@dataclass(frozen=True, slots=True)
class ChartTexts:
    bookings_title: str
    series: tuple[str, str, str]  # desks, coaching, events
    faq_title: str
    outcomes: dict[str, str]  # by group (storage.stats.GROUPS)
    day_ticks: Sequence[tuple[int, str]]  # day index, label (a Monday's date)
    weeks: Sequence[str]  # one label per week


def render(activity: Activity, texts: ChartTexts) -> bytes:
    """The PNG: two stacked-bar panels, one above the other."""
    figure = Figure(figsize=(10, 7.5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    days_axes, weeks_axes = figure.subplots(2, 1)

    positions = list(range(activity.days))
    base = [0] * activity.days
    series = (activity.desks, activity.coaching, activity.events)
    for values, name, colour in zip(series, texts.series, BOOKING_COLOURS, strict=True):
        days_axes.bar(positions, values, bottom=base, label=name, color=colour, width=0.8)
        base = [a + b for a, b in zip(base, values, strict=True)]
    days_axes.set_title(texts.bookings_title)
    days_axes.set_xticks(
        [index for index, _ in texts.day_ticks], [label for _, label in texts.day_ticks]
    )
    days_axes.set_xlim(-0.6, activity.days - 0.4)
    _tidy(days_axes)

    weeks = list(range(len(texts.weeks)))
    base = [0] * len(weeks)
    for group in GROUPS:
        values = activity.faq.get(group, [0] * len(weeks))
        weeks_axes.bar(
            weeks,
            values,
            bottom=base,
            label=texts.outcomes[group],
            color=OUTCOME_COLOURS[group],
            width=0.6,
        )
        base = [a + b for a, b in zip(base, values, strict=True)]
    weeks_axes.set_title(texts.faq_title)
    weeks_axes.set_xticks(weeks, list(texts.weeks))
    _tidy(weeks_axes)

    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def _tidy(axes: Axes) -> None:
    """Whole numbers on the count axis, a light grid behind the bars, the legend to the
    right (never over a bar)."""
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(bottom=0)
    axes.grid(axis="y", alpha=0.3)
    axes.set_axisbelow(True)
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
