"""`/admins`: who the admins are; `/admins add ID` makes someone who has started the bot an
admin, and a button takes the role away again (asks first). Admins named in ADMIN_IDS are
admins by configuration and cannot be removed from the chat. `/audit [N]`: the latest admin
actions. Coaches are managed in `/coaches`."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from handlers.admin.callbacks import RoleAction, RoleCB
from handlers.desks.staff import person_name
from handlers.desks.texts import html
from handlers.ui.filters import pressed, staff_router
from handlers.ui.keyboards import button
from handlers.ui.screens import edit_or_send
from storage import audit
from storage.users import Directory, Person, admins, set_roles, users_by_id

AUDIT_DEFAULT = 20
AUDIT_MAX = 100
MAX_TEXT = 4000


async def _list(session: AsyncSession, settings: Settings) -> tuple[str, InlineKeyboardMarkup]:
    everyone = await admins(session, settings.admin_ids)
    lines = [_("<b>Admins</b>")]
    rows = []
    for user in everyone:
        name = html(person_name(user, user.id))
        if user.id in settings.admin_ids:
            lines.append(_("• {name} — set in ADMIN_IDS").format(name=name))
            continue
        lines.append(f"• {name}")
        rows.append(
            [
                button(
                    _("Remove {name} as admin").format(name=person_name(user, user.id)),
                    RoleCB(action=RoleAction.REVOKE, user=user.id),
                )
            ]
        )
    lines += [
        "",
        _(
            "/admins add ID makes someone who has started the bot an admin (their Telegram id, "
            "shown in /mydata and in the staff screens). Admins set in ADMIN_IDS can only be "
            "changed in the configuration. Coaches: /coaches."
        ),
    ]
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


async def list_admins(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    person: Person,
    settings: Settings,
    directory: Directory,
) -> None:
    args = (command.args or "").split()
    if not args:
        text, markup = await _list(session, settings)
        await message.answer(text, reply_markup=markup)
        return
    if len(args) != 2 or args[0].lower() != "add" or not args[1].isdigit():
        await message.answer(_("Please write /admins, or /admins add ID (a Telegram user id)."))
        return
    target = int(args[1])
    user = (await users_by_id(session, [target])).get(target)
    if user is None:
        unknown = _("Nobody with the id {id} has started the bot yet: ask them to send /start.")
        await message.answer(unknown.format(id=target))
        return
    name = html(person_name(user, target))
    if user.is_admin:
        await message.answer(_("{name} is already an admin.").format(name=name))
        return
    await set_roles(session, target, is_admin=True)
    directory.forget(target)
    audit.record(session, person.id, audit.Action.ROLE_GRANTED, target=f"admin {target}")
    await message.answer(_("✅ {name} is now an admin.").format(name=name))


def configured_text() -> str:
    return _("This admin is set in ADMIN_IDS: change the configuration.")


async def ask_revoke(
    query: CallbackQuery, callback_data: RoleCB, session: AsyncSession, settings: Settings
) -> None:
    user = (await users_by_id(session, [callback_data.user])).get(callback_data.user)
    if user is None or not user.is_admin:
        await query.answer(_("They are no longer an admin."), show_alert=True)
        return
    if user.id in settings.admin_ids:
        await query.answer(configured_text(), show_alert=True)
        return
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [button(_("Yes, remove"), RoleCB(action=RoleAction.REVOKE_YES, user=user.id))],
            [button(_("No, keep"), RoleCB(action=RoleAction.LIST))],
        ]
    )
    question = _("Remove {name} as admin? They keep their bookings and use the bot as anyone.")
    await edit_or_send(query, question.format(name=html(person_name(user, user.id))), markup)
    await query.answer()


async def revoke(
    query: CallbackQuery,
    callback_data: RoleCB,
    session: AsyncSession,
    person: Person,
    settings: Settings,
    directory: Directory,
) -> None:
    target = callback_data.user
    if target in settings.admin_ids:
        await query.answer(configured_text(), show_alert=True)
        return
    user = (await users_by_id(session, [target])).get(target)
    if user is None or not user.is_admin:
        await query.answer(_("They are no longer an admin."), show_alert=True)
    else:
        await set_roles(session, target, is_admin=False)
        directory.forget(target)
        audit.record(session, person.id, audit.Action.ROLE_REVOKED, target=f"admin {target}")
        await query.answer(_("Done: they are no longer an admin."))
    text, markup = await _list(session, settings)
    await edit_or_send(query, text, markup)


async def show_list(query: CallbackQuery, session: AsyncSession, settings: Settings) -> None:
    text, markup = await _list(session, settings)
    await edit_or_send(query, text, markup)
    await query.answer()


def action_name(action: str) -> str:
    names = {
        audit.Action.BROADCAST_SENT: _("sent a broadcast"),
        audit.Action.BROADCAST_SCHEDULED: _("scheduled a broadcast"),
        audit.Action.BROADCAST_CANCELLED: _("cancelled a broadcast"),
        audit.Action.ROLE_GRANTED: _("gave a role"),
        audit.Action.ROLE_REVOKED: _("took a role away"),
        audit.Action.COACH_INVITED: _("invited a coach"),
        audit.Action.DAY_CLOSED: _("closed an Oasis for a day"),
        audit.Action.DAY_REOPENED: _("reopened an Oasis"),
        audit.Action.EVENT_CHANGED: _("changed an event"),
        audit.Action.EXPORT: _("exported data"),
        audit.Action.RELOAD: _("reloaded the content"),
        audit.Action.FAQ_LEARNED: _("taught the FAQ a phrasing"),
        audit.Action.FAQ_IGNORED: _("ignored unanswered questions"),
    }
    try:
        return names.get(audit.Action(action), action)
    except ValueError:
        return action


async def show_audit(message: Message, command: CommandObject, session: AsyncSession) -> None:
    typed = (command.args or "").strip()
    if typed and (not typed.isdigit() or not 1 <= int(typed) <= AUDIT_MAX):
        await message.answer(
            _("Please write /audit, or /audit N with N from 1 to {max}.").format(max=AUDIT_MAX)
        )
        return
    entries = await audit.latest(session, int(typed) if typed else AUDIT_DEFAULT)
    if not entries:
        await message.answer(_("The audit log is empty."))
        return
    people = await users_by_id(session, {e.actor_id for e in entries if e.actor_id is not None})
    lines = [_("<b>Latest admin actions</b> (UTC)")]
    for entry in entries:
        who = (
            html(person_name(people.get(entry.actor_id), entry.actor_id))
            if entry.actor_id is not None
            else _("(anonymised)")
        )
        what = action_name(entry.action)
        on = f" — {html(entry.target)}" if entry.target else ""
        line = f"{entry.at:%Y-%m-%d %H:%M} · {who} · {what}{on}"
        if sum(len(done) + 1 for done in lines) + len(line) > MAX_TEXT:
            break  # (a message holds 4096 characters: the latest come first)
        lines.append(line)
    await message.answer("\n".join(lines))


def create_router() -> Router:
    router = staff_router(__name__)
    router.message.register(list_admins, Command("admins"))
    router.message.register(show_audit, Command("audit"))
    cb = router.callback_query
    cb.register(ask_revoke, pressed(RoleCB, RoleAction.REVOKE))
    cb.register(revoke, pressed(RoleCB, RoleAction.REVOKE_YES))
    cb.register(show_list, pressed(RoleCB, RoleAction.LIST))
    return router
