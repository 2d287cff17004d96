"""Texts of the admin console's broadcasts: the draft, the audience, the recipients by
language, the list of recent broadcasts; and reading a typed moment."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.admin.notices import number
from handlers.desks.texts import html
from handlers.desks.texts import locale as current_locale
from handlers.events.texts import plain_title
from handlers.ui.callbacks import Locale
from handlers.ui.keyboards import LANGUAGE_NAMES
from storage.broadcasts.audience import Audience, Kind
from storage.broadcasts.sending import Progress
from storage.broadcasts.tables import Broadcast, Status
from storage.desks.places import Places
from storage.events.tables import Event


def language_name(locale: str) -> str:
    try:
        return LANGUAGE_NAMES[Locale(locale)]
    except ValueError:
        return locale


def people(count: int) -> str:
    return ngettext("{count} person", "{count} people", count).format(count=number(count))


async def audience_text(session: AsyncSession, audience: Audience, places: Places) -> str:
    kind, value = audience.kind, audience.value
    if kind is Kind.LANGUAGE:
        return _("people who speak {language} with the bot").format(
            language=language_name(str(value))
        )
    if kind is Kind.LOCATION:
        place = places.get(int(value or 0))
        name = place.name(current_locale()) if place is not None else "?"
        return _("people who booked a desk at {place}").format(place=html(name))
    if kind is Kind.COACHES:
        return _("coaches")
    if kind is Kind.EVENT:
        event = await session.get(Event, int(value or 0))
        title = plain_title(event) if event is not None else "?"
        return _("people registered for “{title}” or in its line").format(title=html(title))
    if kind is Kind.ACTIVE:
        days = int(value or 1)
        return ngettext(
            "people who wrote to the bot in the last {count} day",
            "people who wrote to the bot in the last {count} days",
            days,
        ).format(count=days)
    return _("everyone")


def draft_text(
    variants: Mapping[str, Any],
    default_locale: str,
    spec: Mapping[str, Any] | None,
    audience: str,
    recipients: int,
    button: str | None,
) -> str:
    languages = " · ".join(
        f"{language_name(locale)} {'✅' if locale in variants else '—'}" for locale in Locale
    )
    lines = [
        _("📣 <b>Broadcast draft</b>"),
        _("Languages: {languages}").format(languages=languages),
        _("People whose language has no variant get the {language} one.").format(
            language=language_name(default_locale)
        ),
        _("Button: {button}").format(button=html(button) if spec and button else _("none")),
        _("Audience: {audience} — {people}").format(audience=audience, people=people(recipients)),
    ]
    return "\n".join(lines)


def language_counts(
    recipients: Mapping[int, str], variants: Mapping[str, Any], default_locale: str
) -> str:
    """Recipients per language, saying which of them get the default variant instead."""
    counts = Counter(recipients.values())
    parts = []
    for locale, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        part = f"{language_name(locale)}: {number(count)}"
        if locale not in variants:
            part += " " + _("(they get the {language} variant)").format(
                language=language_name(default_locale)
            )
        parts.append(part)
    return "\n".join(
        [
            _("<b>Recipients: {people}</b>").format(people=people(len(recipients))),
            *parts,
            "",
            _("Send it now, or schedule it?"),
        ]
    )


def status_name(status: str) -> str:
    return {
        Status.SCHEDULED: _("scheduled"),
        Status.SENDING: _("being sent"),
        Status.DONE: _("finished"),
        Status.CANCELLED: _("cancelled"),
    }.get(Status(status), status)


def recent_text(
    latest: Sequence[Broadcast], progress: Mapping[int, Progress], zone: ZoneInfo
) -> str:
    if not latest:
        return _("No broadcasts yet. /broadcast writes one.")
    lines = [_("<b>Latest broadcasts</b>")]
    for row in latest:
        moment = row.scheduled_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        done = progress[row.id]
        if row.status == Status.SCHEDULED:
            lines.append(
                _("#{id} · {status} · {time}").format(
                    id=row.id, status=status_name(row.status), time=moment
                )
            )
            continue
        line = _("#{id} · {status} · {time} · sent {sent} of {total}").format(
            id=row.id,
            status=status_name(row.status),
            time=moment,
            sent=number(done.sent),
            total=number(done.total),
        )
        lines.append(line)
    lines.append(_("Times are {zone} time.").format(zone=zone.key))
    return "\n".join(lines)


def typed_moment(text: str, zone: ZoneInfo) -> datetime | None:
    """`2027-01-15 10:00` in `zone`, as an aware datetime; None if it is not that."""
    try:
        local = datetime.strptime(" ".join(text.split()), "%Y-%m-%d %H:%M")
    except ValueError:
        return None
    return local.replace(tzinfo=zone)
