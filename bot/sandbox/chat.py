"""A terminal chat with the bot through the sandbox, scripted or interactive."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.sandbox.client import SandboxUser
from bot.sandbox.server import SandboxServer
from bot.sandbox.views import SandboxMessage

# press 2, [2]: the latest buttons; press 2 of 7, [7.2]: button 2 of message #7
PRESS_INDEX = re.compile(
    r"^(?:press\s+(?P<n>\d+)(?:\s+of\s+(?P<of>\d+))?|\[(?:(?P<m>\d+)\.)?(?P<b>\d+)\])$",
    re.IGNORECASE,
)
PRESS_LABEL = re.compile(r"""^press\s+(["'])(.+)\1$""", re.IGNORECASE)
BARE_NUMBER = re.compile(r"^(\d+\.)?\d+$")
SWITCH = re.compile(r"^/as(?:\s+(\S*))?$")
# /clock, /clock +1d2h30m, /clock 2027-01-29 14:00 [Europe/Helsinki]
CLOCK = re.compile(
    r"^/clock(?:\s+(?:\+(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?"
    r"|(?P<date>\d{4}-\d{2}-\d{2})\s+(?P<time>\d{1,2}:\d{2})(?:\s+(?P<zone>\S+))?))?$"
)
INDENT = "     "


class TerminalChat:
    """Chat with the bot as one of several personas and print what changes."""

    def __init__(
        self,
        server: SandboxServer,
        personas: dict[str, SandboxUser],
        *,
        out: TextIO | None = None,
        err: TextIO | None = None,
        idle_timeout: float = 10.0,
        settle: float = 0.0,
        numbered: bool = False,
        files: Path | None = None,
        clock: tuple[Callable[[], datetime], Callable[[datetime], Awaitable[None]]] | None = None,
    ) -> None:
        """`numbered` shows each bot message's number (for `[M.N]`); with `files`, documents
        the bot sends are saved in that folder and their path shown; with `clock` (what the
        bot's time is, and how to move it), `/clock` shows and moves the bot's date and time."""
        if not personas:
            raise ValueError("at least one persona is needed")
        self.server = server
        self.personas = personas
        self.out = out or sys.stdout  # looked up now: whatever stdout is at the time
        self.err = err or sys.stderr
        self.idle_timeout = idle_timeout
        self.settle = settle
        self.numbered = numbered
        self.files = files
        self.clock = clock
        self._clock_zone = ZoneInfo("UTC")
        self.role = next(iter(personas))
        self.failed = False
        self._seen: dict[int, dict[int, int]] = {}
        self._toasts_seen: dict[int, int] = {}
        self._errors_seen = len(server.errors)
        for user in personas.values():
            self._mark_seen(user)

    @property
    def user(self) -> SandboxUser:
        """The persona currently chatting."""
        return self.personas[self.role]

    async def run_script(self, lines: Iterable[str]) -> int:
        """Play actions line by line; returns 1 on a failed press, bot error or timeout."""
        for raw in lines:
            line = raw.strip()
            if not line:
                continue
            if line.startswith("#"):
                self._print(line)
                continue
            if not await self.perform(line):
                return 1
        return 1 if self.failed else 0

    async def run_interactive(self) -> int:
        """Read actions from stdin until /quit or end of input."""
        banner = self.banner()
        self._print(banner)
        while True:
            try:
                line = await asyncio.to_thread(input, f"{self.role}> ")
            except EOFError:
                break
            line = line.strip()
            if line in ("/quit", "/exit"):
                break
            if line == "/?":  # /help belongs to the bot
                self._print(banner)
            elif line:
                await self.perform(self._bare_number(line))
        return 0

    def _bare_number(self, line: str) -> str:
        """A bare N presses button N when the bot's latest message has buttons (M.N always
        presses); answering a question such as "How many seats?", it is the text typed."""
        if not BARE_NUMBER.match(line):
            return line
        try:
            latest = self.user.last
        except LookupError:
            return line
        return f"[{line}]" if "." in line or latest.buttons else line

    def banner(self) -> str:
        """The one-line help shown at the start of an interactive session."""
        roles = "|".join(self.personas)
        clock = ", /clock [+1d2h | 2027-01-29 14:00 Europe/Helsinki]" if self.clock else ""
        return (
            "Type a message, [N] to press button N of the latest buttons, [M.N] for button N "
            f"of message #M, /as {roles}{clock}, /? for this line, /quit"
        )

    async def perform(self, line: str) -> bool:
        """Run one action and print its outcome; False when the script cannot go on."""
        switch = SWITCH.match(line)
        if switch:
            return self._switch(switch.group(1) or "")
        if self.clock is not None and line.startswith("/clock"):
            return await self._move_clock(line)
        index, label = PRESS_INDEX.match(line), PRESS_LABEL.match(line)
        try:
            if index or label:
                target: int | str = label.group(2) if label else 0
                message_id: int | None = None
                if index:
                    target = int(index.group("n") or index.group("b"))
                    of = index.group("of") or index.group("m")
                    message_id = int(of) if of else None
                _, button = self.user.find_button(target, message_id)
                self._print(f"you: [pressed] {button.text}")
                await self.user.press(target, message_id)
            else:
                self._print(f"you: {line}")
                await self.user.send(line)
        except (LookupError, RuntimeError) as error:
            self._fail(str(error))
            return False
        return await self._show_outcome()

    async def _move_clock(self, line: str) -> bool:
        assert self.clock is not None
        now, move = self.clock
        match = CLOCK.match(line)
        if match is None:
            self._fail("use /clock, /clock +1d2h30m or /clock 2027-01-29 14:00 Europe/Helsinki")
            return False
        zone = self._clock_zone  # the zone last named, for the times shown
        if match["date"]:
            try:
                zone = ZoneInfo(match["zone"] or "UTC")
                moment = datetime.fromisoformat(f"{match['date']}T{match['time']:0>5}")
            except (ValueError, ZoneInfoNotFoundError) as error:
                self._fail(f"not a date, time and zone: {error}")
                return False
            target = moment.replace(tzinfo=zone).astimezone(UTC)
            self._clock_zone = zone
        else:
            step = timedelta(
                days=int(match["d"] or 0), hours=int(match["h"] or 0), minutes=int(match["m"] or 0)
            )
            target = now() + step
        if target != now():
            await move(target)
        shown = target.astimezone(zone)
        self._print(f"-- the bot's clock: {shown:%a %Y-%m-%d %H:%M} {shown.tzname()}")
        return await self._show_outcome()

    async def _show_outcome(self) -> bool:
        """Wait until the bot is done, print what changed; False if it never got done."""
        try:
            await self.server.wait_idle(self.idle_timeout, settle=self.settle)
        except TimeoutError as error:
            self._render_changes()
            self._fail(str(error))
            return False
        self._render_changes()
        return True

    def _switch(self, role: str) -> bool:
        if role not in self.personas:
            self._fail(f"unknown persona {role!r}; known: {', '.join(self.personas)}")
            return False
        self.role = role
        self._print(f"-- now chatting as {role} ({self.user.first_name})")
        return True

    def _fail(self, reason: str) -> None:
        self.failed = True
        print(f"error: {reason}", file=self.err)

    def _print(self, text: str) -> None:
        print(text, file=self.out)

    def _mark_seen(self, user: SandboxUser) -> None:
        self._seen[user.id] = {m.message_id: m.version for m in user.messages}
        self._toasts_seen[user.id] = len(user.toasts)

    def _render_changes(self) -> None:
        ordered = [self.role, *(role for role in self.personas if role != self.role)]
        for role in ordered:
            user = self.personas[role]
            speaker = "bot" if role == self.role else f"bot -> {role}"
            seen = self._seen.get(user.id, {})
            current = {m.message_id: m for m in user.messages}
            for message_id in sorted(set(seen) - set(current)):
                self._print(f"{speaker} (deleted): message {message_id}")
            for message in current.values():
                if message.message_id not in seen:
                    self._print_message(speaker, message)
                elif message.version != seen[message.message_id]:
                    self._print_message(f"{speaker} (edited)", message)
            for answer in user.toasts[self._toasts_seen.get(user.id, 0) :]:
                if answer.text:
                    alert = "  [alert]" if answer.show_alert else ""
                    self._print(f"{speaker} (toast): {answer.text}{alert}")
            self._mark_seen(user)
        for error in self.server.errors[self._errors_seen :]:
            self._fail(f"{error.method} -> {error.error_code} {error.description}")
        self._errors_seen = len(self.server.errors)

    def _print_message(self, prefix: str, message: SandboxMessage) -> None:
        lines = message.text.split("\n") if message.text else []
        if self.numbered:
            prefix = f"{prefix} #{message.message_id}"
        if message.document is not None:
            name = message.document.file_name or message.document.file_id
            saved = self._save(message.message_id, name, message.document.content)
            lines.insert(0, f"[document] {name}" + (f" (saved as {saved})" if saved else ""))
        elif message.photo is not None:
            lines.insert(0, "[photo]")
        first, *rest = lines or [""]
        self._print(f"{prefix}: {first}")
        for line in rest:
            self._print(f"{INDENT}{line}".rstrip())
        number = 0
        for row in message.buttons:
            cells = []
            for button in row:
                number += 1
                is_link = button.value and not self._is_callback(message, number)
                cells.append(
                    f"[{number}] {button.text}" + (f" <{button.value}>" if is_link else "")
                )
            self._print(INDENT + "  ".join(cells))
        if message.reply_keyboard:
            for row in message.reply_keyboard:
                self._print(f"{INDENT}keyboard: " + " | ".join(row))

    def _save(self, message_id: int, name: str, content: bytes) -> Path | None:
        """Keep a document the bot sent, under its own name (prefixed with the message number,
        so two files of the same name do not overwrite each other)."""
        if self.files is None:
            return None
        self.files.mkdir(parents=True, exist_ok=True)
        path = self.files / f"{message_id}-{Path(name).name or 'file'}"
        path.write_bytes(content)
        return path

    @staticmethod
    def _is_callback(message: SandboxMessage, number: int) -> bool:
        markup = message.raw.get("reply_markup") or {}
        flat = [b for row in markup.get("inline_keyboard", []) for b in row]
        return 0 < number <= len(flat) and "callback_data" in flat[number - 1]
