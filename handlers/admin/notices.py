"""What a broadcast sends: each recipient's copy (their language's variant, else the default
one, with its button), and the author's progress message, edited as it goes, then the final
report. All through the outbox, rendered at send time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from babel.dates import format_timedelta
from babel.numbers import format_decimal
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.admin.callbacks import BroadcastAction, BroadcastCB
from handlers.desks.texts import format_locale
from handlers.events.callbacks import EventAction, EventCB
from handlers.ui.callbacks import MenuAction, MenuCB
from handlers.ui.keyboards import button
from scheduler.delivery import Rendered, Renderer, render_time
from storage import outbox
from storage.broadcasts import sending
from storage.broadcasts.tables import Broadcast, Status
from storage.outbox import OutboxMessage, State

PROGRESS = "broadcast.progress"
REPORT = "broadcast.report"
EVENT_BUTTON = "event"


def flow_label(action: MenuAction) -> str:
    """The label of a flow's button: the main menu's own words."""
    labels = {
        MenuAction.ASK: _("Ask a question"),
        MenuAction.DESK: _("Book a desk"),
        MenuAction.COACH: _("Book a coach"),
        MenuAction.EVENTS: _("Events"),
        MenuAction.BOOKINGS: _("My bookings"),
    }
    return labels.get(action, "")


FLOWS = (MenuAction.ASK, MenuAction.DESK, MenuAction.COACH, MenuAction.EVENTS, MenuAction.BOOKINGS)


def button_markup(spec: Mapping[str, Any] | None) -> InlineKeyboardMarkup | None:
    """The one button a broadcast may carry, in the current language."""
    if not spec:
        return None
    kind, ref = spec.get("kind"), spec.get("ref")
    if kind == EVENT_BUTTON and isinstance(ref, int):
        data: Any = EventCB(action=EventAction.CARD, id=ref)
        label = _("📅 Open the event")
    elif kind in set(FLOWS):
        data, label = MenuCB(action=MenuAction(kind)), flow_label(MenuAction(kind))
    else:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[[button(label, data)]])


def copy_for(
    variants: Mapping[str, Any],
    default_locale: str,
    spec: Mapping[str, Any] | None,
    locale: str,
) -> Rendered:
    """The message a person of `locale` gets (the preview shows exactly this)."""
    variant = variants.get(locale) or variants[default_locale]
    media = variant.get("media")
    return Rendered(
        variant["html"],
        button_markup(spec),
        media=(str(media[0]), str(media[1])) if media else None,
    )


def number(value: int) -> str:
    return format_decimal(value, locale=format_locale())


def progress_text(broadcast: Broadcast, done: sending.Progress, now: datetime) -> str:
    counts = _(
        "Sent: {sent} · failed: {failed} · unreachable (blocked the bot or never started it): "
        "{blocked} · remaining: {remaining} of {total}"
    ).format(
        sent=number(done.sent),
        failed=number(done.failed),
        blocked=number(done.blocked),
        remaining=number(done.remaining),
        total=number(done.total),
    )
    if broadcast.status == Status.SENDING:
        head = _("📣 <b>Broadcast #{id}</b> is being sent.").format(id=broadcast.id)
        lines = [head, counts]
        started = broadcast.started_at
        elapsed = (now - started).total_seconds() if started else 0.0
        if done.done and elapsed > 0 and done.remaining:
            left = done.remaining * elapsed / done.done
            lines.append(
                _("About {time} left.").format(
                    time=format_timedelta(left, threshold=1.1, locale=format_locale())
                )
            )
        return "\n".join(lines)
    if broadcast.status == Status.CANCELLED:
        head = _("✖️ <b>Broadcast #{id}</b> was cancelled.").format(id=broadcast.id)
    else:
        head = _("✅ <b>Broadcast #{id}</b> is finished.").format(id=broadcast.id)
    lines = [head, counts]
    if done.dropped:
        lines.append(_("Not sent: {count}.").format(count=number(done.dropped)))
    return "\n".join(lines)


def cancel_markup(broadcast_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(
                    _("✖️ Cancel the broadcast"),
                    BroadcastCB(action=BroadcastAction.CANCEL, n=broadcast_id),
                )
            ]
        ]
    )


def tell_progress(session: AsyncSession, broadcast: Broadcast) -> None:
    if broadcast.author_id is not None:
        outbox.enqueue(session, broadcast.author_id, PROGRESS, ref=broadcast.id)


def tell_report(session: AsyncSession, broadcast: Broadcast) -> None:
    if broadcast.author_id is not None:
        outbox.enqueue(session, broadcast.author_id, REPORT, ref=broadcast.id)


async def progress_waiting(session: AsyncSession, broadcast_id: int) -> bool:
    """Whether an update of the progress message is already on its way."""
    waiting = await session.scalar(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.kind.in_((PROGRESS, REPORT)),
            OutboxMessage.ref == broadcast_id,
            OutboxMessage.state.in_((State.PENDING, State.SENDING)),
        )
        .limit(1)
    )
    return waiting is not None


def renderers() -> dict[str, Renderer]:
    async def copy(session: AsyncSession, row: OutboxMessage) -> Sequence[Rendered] | None:
        broadcast = await session.get(Broadcast, row.ref or 0)
        if broadcast is None or broadcast.status == Status.CANCELLED:
            return None
        locale = get_i18n().current_locale
        return [copy_for(broadcast.variants, broadcast.default_locale, broadcast.button, locale)]

    async def progress(session: AsyncSession, row: OutboxMessage) -> Sequence[Rendered] | None:
        broadcast = await session.get(Broadcast, row.ref or 0)
        if broadcast is None:
            return None
        done = await sending.progress(session, broadcast)
        text = progress_text(broadcast, done, render_time())
        markup = cancel_markup(broadcast.id) if broadcast.status == Status.SENDING else None
        earlier = await outbox.sent_messages(session, row.chat_id, [PROGRESS], broadcast.id)
        edit = earlier[0] if earlier else None
        if row.kind == REPORT:
            parts = [Rendered(text, None, edit=edit)] if edit is not None else []
            return [*parts, Rendered(text)]
        return [Rendered(text, markup, edit=edit)]

    return {sending.KIND: copy, PROGRESS: progress, REPORT: progress}
