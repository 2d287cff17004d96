"""The staff's coaches: `/coaches` (the list, with Retire), `/addcoach ID` (make someone who
has started the bot a coach), `/coachinvite` (a one-time link, valid 7 days); and the invite's
other end, `/start coach_<token>`. Retiring a coach cancels their sessions and declines their
requests, and every entrepreneur concerned is told."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.coaching import notices
from handlers.coaching.callbacks import CoachAdminAction, CoachAdminCB
from handlers.coaching.texts import html, refusal_text
from handlers.desks.staff import staff_only
from handlers.ui.filters import pressed, staff_router
from handlers.ui.keyboards import button
from handlers.ui.screens import edit_or_send, refuse_stale
from scheduler.delivery import Rendered, Renderer
from storage import audit, coaching, outbox
from storage.base import WallClock
from storage.coaching import coaches
from storage.coaching.tables import Refused
from storage.desks.places import Places
from storage.outbox import OutboxMessage
from storage.users import Directory, Person

WELCOME = "coach.welcome"
INVITE_PREFIX = "coach_"


async def _list(session: AsyncSession) -> tuple[str, InlineKeyboardMarkup]:
    everyone = await coaches.listed(session)
    lines = [_("<b>Coaches</b>")]
    rows = []
    for coach in everyone:
        lines.append(f"• {html(coach.name)} — <code>{coach.user_id}</code>")
        rows.append(
            [
                button(
                    _("Retire {name}").format(name=coach.name),
                    CoachAdminCB(action=CoachAdminAction.RETIRE, coach=coach.user_id),
                )
            ]
        )
    if not everyone:
        lines.append(_("No coaches yet."))
    lines += [
        "",
        _(
            "/addcoach ID makes someone who has started the bot a coach; /coachinvite gives a "
            "one-time link (valid 7 days) to send to a new coach."
        ),
    ]
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


async def list_coaches(message: Message, session: AsyncSession, person: Person) -> None:
    if (refusal := staff_only(person)) is not None:
        await message.answer(refusal)
        return
    text, markup = await _list(session)
    await message.answer(text, reply_markup=markup)


async def add_coach(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    person: Person,
    places: Places,
    directory: Directory,
    wall_clock: WallClock,
) -> None:
    if (refusal := staff_only(person)) is not None:
        await message.answer(refusal)
        return
    raw = (command.args or "").strip()
    if not raw.isdigit() or not 0 < int(raw) < 2**53:
        await message.answer(_("Write the person's Telegram id: /addcoach 123456789"))
        return
    try:
        coach = await coaches.make_coach(session, int(raw), places)
    except Refused:
        await message.answer(
            _(
                "Nobody with this id has started the bot yet. Send them an invite link instead: "
                "/coachinvite"
            )
        )
        return
    directory.forget(coach.user_id)
    outbox.enqueue(session, coach.user_id, WELCOME, ref=None, due_at=wall_clock())
    audit.record(session, person.id, audit.Action.COACH_ADDED, target=f"coach {coach.user_id}")
    await message.answer(
        _("{name} is now a coach and has been told.").format(name=html(coach.name))
    )


async def invite(
    message: Message, session: AsyncSession, person: Person, bot: Bot, wall_clock: WallClock
) -> None:
    if (refusal := staff_only(person)) is not None:
        await message.answer(refusal)
        return
    created = await coaches.create_invite(session, person.id, wall_clock())
    audit.record(session, person.id, audit.Action.COACH_INVITED)
    me = await bot.me()
    link = f"https://t.me/{me.username}?start={INVITE_PREFIX}{created.token}"
    await message.answer(
        _("Send this link to the new coach. It works once, for 7 days:\n{link}").format(
            link=html(link)
        )
    )


async def redeem(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    person: Person,
    places: Places,
    directory: Directory,
    wall_clock: WallClock,
) -> None:
    token = (command.args or "")[len(INVITE_PREFIX) :]
    try:
        coach = await coaches.redeem_invite(session, token[:32], person.id, places, wall_clock())
    except Refused as refused:
        await message.answer(refusal_text(refused))
        return
    directory.forget(person.id)
    await message.answer(_welcome(coach.name))


def _welcome(name: str) -> str:
    return _(
        "Welcome, {name}: you are now a coach of the programme. Entrepreneurs can request "
        "sessions with you in the free times of your availability; you get each request here "
        "and accept, decline or propose another time. /coach opens your panel."
    ).format(name=html(name))


async def ask_retire(
    query: CallbackQuery, callback_data: CoachAdminCB, session: AsyncSession, person: Person
) -> None:
    coach = await coaches.get(session, callback_data.coach)
    if not person.is_admin or coach is None or not coach.active:
        await refuse_stale(query)
        return
    await query.answer()
    yes = CoachAdminCB(action=CoachAdminAction.RETIRE_YES, coach=coach.user_id)
    no = CoachAdminCB(action=CoachAdminAction.LIST)
    rows = [[button(_("Yes, retire"), yes), button(_("No"), no)]]
    text = _(
        "Retire {name}? Their upcoming sessions are cancelled and their requests declined; every "
        "entrepreneur concerned is told."
    ).format(name=html(coach.name))
    await edit_or_send(query, text, InlineKeyboardMarkup(inline_keyboard=rows))


async def retire(
    query: CallbackQuery,
    callback_data: CoachAdminCB,
    session: AsyncSession,
    person: Person,
    directory: Directory,
    wall_clock: WallClock,
) -> None:
    coach = await coaches.get(session, callback_data.coach)
    if not person.is_admin or coach is None or not coach.active:
        await refuse_stale(query)
        return
    now = wall_clock()
    ended = await coaching.end_all_of(session, coach.user_id, now, "#retired")
    for booked, _was in ended:
        await notices.forget(session, booked)
        notices.tell_user(session, booked, "retired", now)
    await coaches.retire(session, coach, now)
    directory.forget(coach.user_id)
    audit.record(
        session,
        person.id,
        audit.Action.COACH_RETIRED,
        target=f"coach {coach.user_id}",
        details={"sessions_ended": len(ended)},
    )
    await query.answer(_("Retired; {n} entrepreneurs are told.").format(n=len(ended)))
    await edit_or_send(query, *await _list(session))


async def show_list(query: CallbackQuery, session: AsyncSession, person: Person) -> None:
    if not person.is_admin:
        await refuse_stale(query)
        return
    await query.answer()
    await edit_or_send(query, *await _list(session))


def renderers() -> dict[str, Renderer]:
    async def welcome(session: AsyncSession, row: OutboxMessage) -> Sequence[Rendered] | None:
        coach = await coaches.get(session, row.chat_id)
        return [Rendered(_welcome(coach.name))] if coach is not None and coach.active else None

    return {WELCOME: welcome}


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(
        redeem, CommandStart(deep_link=True, magic=F.args.startswith(INVITE_PREFIX))
    )
    staff = staff_router(f"{__name__}.staff")
    staff.message.register(list_coaches, Command("coaches"))
    staff.message.register(add_coach, Command("addcoach"))
    staff.message.register(invite, Command("coachinvite"))
    staff.callback_query.register(ask_retire, pressed(CoachAdminCB, CoachAdminAction.RETIRE))
    staff.callback_query.register(retire, pressed(CoachAdminCB, CoachAdminAction.RETIRE_YES))
    staff.callback_query.register(show_list, pressed(CoachAdminCB, CoachAdminAction.LIST))
    router.include_router(staff)
    return router
