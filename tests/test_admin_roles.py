"""Roles and the audit log, on SQLite and on PostgreSQL + Redis: `/admins` promotes and
demotes, ADMIN_IDS admins cannot be demoted from the chat, a role taken away stops at once
(also where a cache still knew it), forged role buttons do nothing, every admin action is in
`/audit`, `/help` shows staff commands to admins only."""

from __future__ import annotations

from collections.abc import Callable

from aiogram import Bot

from bot.app import Runtime
from bot.sandbox.recording import ChatClient
from handlers.admin.callbacks import Role, RoleAction, RoleCB
from storage import audit
from storage.engine import unit_of_work
from storage.users import User, set_roles

Person = Callable[..., ChatClient]
OLGA, ANNA, IVAN = 3001, 1001, 1002  # Olga is in ADMIN_IDS
UNKNOWN_COMMAND = "I don't know this command. Send /help to see what I can do."


async def chosen(client: ChatClient, language: str = "en") -> ChatClient:
    await client.send("/start")
    await client.click({"en": "English", "ru": "Русский", "fi": "Suomi"}[language])
    return client


async def is_admin(runtime: Runtime, user_id: int) -> bool:
    async with unit_of_work(runtime.factory) as session:
        user = await session.get(User, user_id)
        return bool(user and user.is_admin)


async def test_an_admin_makes_another_then_takes_the_role_back(
    person: Person, bot: Bot, runtime: Runtime
) -> None:
    olga = await chosen(person(OLGA, first_name="Olga"))
    ivan = await chosen(person(IVAN, first_name="Ivan"))
    await olga.send("/admins add 999")
    assert "Nobody with the id 999 has started the bot" in olga.last.text
    await olga.send("/admins make 1002")
    assert olga.last.text.startswith("Please write /admins")
    await ivan.send("/broadcast")
    assert ivan.last.text == UNKNOWN_COMMAND
    await olga.send(f"/admins add {IVAN}")
    assert olga.last.text == "✅ Ivan (id 1002) is now an admin."
    await ivan.send("/broadcast")
    assert "New broadcast" in ivan.last.text
    await ivan.send("/cancel")
    await ivan.send("/help")
    assert "/broadcast" in ivan.last.text and "Staff commands" in ivan.last.text
    await olga.send("/admins")
    listing = olga.last.text
    assert "Olga (id 3001) — set in ADMIN_IDS" in listing and "Ivan (id 1002)" in listing
    await olga.click("Remove Ivan")
    assert olga.last.text.startswith("Remove Ivan (id 1002) as admin?")
    await olga.click("Yes, remove")
    assert olga.toasts[-1] == "Done: they are no longer an admin."
    assert not await is_admin(runtime, IVAN)
    await ivan.send("/broadcast")
    assert ivan.last.text == UNKNOWN_COMMAND
    await ivan.send("/help")
    assert "Staff commands" not in ivan.last.text
    await olga.send("/audit")
    log = olga.last.text
    assert "Olga (id 3001) · gave a role — admin 1002" in log
    assert "Olga (id 3001) · took a role away — admin 1002" in log
    async with unit_of_work(runtime.factory) as session:
        actions = [entry.action for entry in await audit.latest(session, 10)]
    assert actions == [audit.Action.ROLE_REVOKED, audit.Action.ROLE_GRANTED]


async def test_an_admin_of_admin_ids_cannot_be_removed_from_the_chat(
    person: Person, bot: Bot, runtime: Runtime
) -> None:
    olga = await chosen(person(OLGA, first_name="Olga"))
    ivan = await chosen(person(IVAN, first_name="Ivan"))
    await olga.send(f"/admins add {IVAN}")
    for action in (RoleAction.REVOKE, RoleAction.REVOKE_YES):
        await ivan.press_data(RoleCB(action=action, user=OLGA).pack())
        assert ivan.toasts[-1] == "This admin is set in ADMIN_IDS: change the configuration."
    assert await is_admin(runtime, OLGA)
    await olga.send("/admins")
    assert "Remove Olga" not in str(olga.last.reply_markup)


async def test_role_buttons_of_anyone_but_an_admin_do_nothing(
    person: Person, bot: Bot, runtime: Runtime
) -> None:
    olga = await chosen(person(OLGA, first_name="Olga"))
    ivan = await chosen(person(IVAN, first_name="Ivan"))
    anna = await chosen(person(ANNA, first_name="Anna"))
    await olga.send(f"/admins add {IVAN}")
    for action in RoleAction:
        for role in Role:
            await anna.press_data(RoleCB(action=action, user=IVAN, role=role).pack())
            assert anna.toasts[-1] and "no longer valid" in anna.toasts[-1]
    await anna.press_data("ad:ry:1002:admin:extra")  # malformed
    await anna.press_data("ad:ry:-5:admin")  # out of range
    assert await is_admin(runtime, IVAN)
    for command in ("/admins", f"/admins add {ANNA}", "/audit", "/audit 5"):
        await anna.send(command)
        assert anna.last.text == UNKNOWN_COMMAND, command
    assert not await is_admin(runtime, ANNA)
    del ivan


async def test_a_role_taken_away_elsewhere_stops_at_once(
    person: Person, bot: Bot, runtime: Runtime
) -> None:
    """Another instance demoted Ivan: this one's cache still says admin, the database not."""
    olga = await chosen(person(OLGA, first_name="Olga"))
    ivan = await chosen(person(IVAN, first_name="Ivan"))
    await olga.send(f"/admins add {IVAN}")
    await ivan.send("/audit")
    assert "Latest admin actions" in ivan.last.text
    async with unit_of_work(runtime.factory) as session:
        await set_roles(session, IVAN, is_admin=False)
    await ivan.send("/audit")
    assert ivan.last.text == UNKNOWN_COMMAND


async def test_audit_takes_a_count_and_lists_the_latest_first(
    person: Person, bot: Bot, runtime: Runtime
) -> None:
    olga = await chosen(person(OLGA, first_name="Olga"))
    await olga.send("/audit")
    assert olga.last.text == "The audit log is empty."
    await olga.send("/reload_content")
    await olga.send(f"/admins add {OLGA}")  # already one: nothing recorded
    await olga.send("/audit 0")
    assert olga.last.text == "Please write /audit, or /audit N with N from 1 to 100."
    await olga.send("/audit 1")
    assert "reloaded the content" in olga.last.text
    await olga.send("/audit abc")
    assert "from 1 to 100" in olga.last.text
