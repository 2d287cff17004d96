"""A loopback HTTP server that speaks the Telegram Bot API."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Self

from aiohttp import web

from bot.sandbox.api import BotApi, Described
from bot.sandbox.client import SandboxUser
from bot.sandbox.records import Call, ErrorRecord
from bot.sandbox.state import SandboxState, UserInfo
from bot.sandbox.validation import ApiError, Params, UploadedFile, normalize, resolve_attachments
from bot.sandbox.webhook import WebhookPusher

FaultKind = Literal["429", "403", "500", "drop"]
TOKEN_RE = re.compile(r"^\d+:[\w-]+$")
MAX_UPLOAD = 50 * 1024 * 1024
CHECK_EVERY = 0.02  # seconds: how often `wait_idle` asks the busy checks again
log = logging.getLogger(__name__)


@dataclass
class Fault:
    """A failure armed by `SandboxServer.inject`."""

    method: str
    error: FaultKind
    times: int
    retry_after: int
    chat_id: int | None

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        """Whether this fault applies to a call."""
        name = method.lower()
        if self.method != name and not (self.method == "*" and name != "getupdates"):
            return False
        return self.chat_id is None or params.get("chat_id") == self.chat_id

    def api_error(self) -> ApiError:
        """The answer this fault produces."""
        if self.error == "429":
            return ApiError(
                429,
                f"Too Many Requests: retry after {self.retry_after}",
                retry_after=self.retry_after,
            )
        if self.error == "403":
            return ApiError(403, "Forbidden: bot was blocked by the user")
        return ApiError(500, "Internal Server Error")


class SandboxServer:
    """Local stand-in for api.telegram.org with simulated users."""

    def __init__(
        self,
        bot_username: str = "openinno_concierge_bot",
        *,
        bot_name: str = "OpenINNO Concierge",
        webhook_retry_delay: float = 0.5,
    ) -> None:
        self.state = SandboxState(bot_username, bot_name)
        self.api = BotApi(self.state)
        self.url = ""
        self._faults: list[Fault] = []
        self._hooks: list[Callable[[str, dict[str, Any]], None]] = []
        self._in_flight: Counter[str] = Counter()
        # Work of the bot's that will call the sandbox soon (its delivery engine, woken):
        # each says why the sandbox is not idle yet, or None.
        self.busy_checks: list[Callable[[], str | None]] = []
        self._users: dict[int, SandboxUser] = {}
        self._runner: web.AppRunner | None = None
        self._webhook = WebhookPusher(self.state, self._execute_logged, webhook_retry_delay)

    @property
    def calls(self) -> list[Call]:
        """Every Bot API request received, in order."""
        return self.state.calls

    @property
    def errors(self) -> list[ErrorRecord]:
        """Every non-ok answer given, in order."""
        return self.state.errors

    @property
    def updates_total(self) -> int:
        """How many updates were created."""
        return self.state.updates_total

    @property
    def bot_commands(self) -> dict[tuple[str, str], list[dict[str, str]]]:
        """Commands stored by setMyCommands, keyed by (scope, language_code)."""
        return self.state.bot_commands

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on host:port (0 picks a free port) and set `url`."""
        self.state.closing = False
        app = web.Application(client_max_size=MAX_UPLOAD)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_port = self._runner.addresses[0][1]
        self.url = f"http://{host}:{bound_port}"

    async def stop(self) -> None:
        """Release waiting long polls, stop webhook delivery and close the listener."""
        self.state.closing = True
        self.state.touch()
        await self._webhook.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    def user(
        self,
        user_id: int,
        first_name: str,
        *,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> SandboxUser:
        """The simulated user with this id, created on first use."""
        existing = self._users.get(user_id)
        if existing is not None:
            return existing
        info = UserInfo(user_id, first_name, username, language_code)
        self.state.users[user_id] = info
        created = self._users[user_id] = SandboxUser(self.state, info)
        return created

    def inject(
        self,
        method: str,
        *,
        error: FaultKind,
        times: int = 1,
        retry_after: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Make the next `times` matching calls fail; method '*' matches all but getUpdates."""
        if error not in ("429", "403", "500", "drop"):
            raise ValueError(f"unknown fault kind {error!r}")
        self._faults.append(Fault(method.lower(), error, times, retry_after, chat_id))

    def on_call(self, hook: Callable[[str, dict[str, Any]], None]) -> None:
        """Call `hook(method, params)` as each request arrives, before it is answered (a test
        can, say, kill the bot at the moment it says something)."""
        self._hooks.append(hook)

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        for fault in self._faults:
            if fault.times > 0 and fault.matches(method, params):
                fault.times -= 1
                if fault.times == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def busy_reason(self) -> str | None:
        """Why the sandbox is not idle, or None when it is."""
        reasons: list[str] = []
        pending = self.state.pending
        if pending:
            ids = ", ".join(str(update.update_id) for update in pending[:10])
            if self.state.webhook is not None:
                hook = self.state.webhook
                mode = f"webhook {hook.url}"
                if hook.last_error_message:
                    mode += f", last error: {hook.last_error_message}"
            elif self.state.polls == 0:
                mode = "polling, but no getUpdates request arrived yet"
            else:
                mode = "polling, waiting for a getUpdates with a higher offset"
            reasons.append(f"{len(pending)} update(s) not processed (ids {ids}; {mode})")
        busy = {method: count for method, count in self._in_flight.items() if count}
        if busy:
            reasons.append("requests in flight: " + ", ".join(f"{m} x{n}" for m, n in busy.items()))
        reasons += [reason for check in self.busy_checks if (reason := check()) is not None]
        return "; ".join(reasons) or None

    async def wait_idle(
        self,
        timeout: float = 10.0,  # noqa: ASYNC109 - the documented argument name
        *,
        settle: float = 0.0,
    ) -> None:
        """Return once every update was processed and no request is in flight."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            reason = self.busy_reason()
            remaining = deadline - loop.time()
            if reason is None and settle <= 0:
                return
            if remaining <= 0:
                detail = reason or "activity did not settle"
                raise TimeoutError(f"sandbox not idle after {timeout:g}s: {detail}")
            if reason is None:
                mark = self.state.activity
                await asyncio.sleep(min(settle, remaining))
                if self.state.activity == mark and remaining >= settle:
                    return
                continue
            # The sandbox's own state wakes this wait when it changes; the busy checks (the
            # bot's delivery engine) do not, so they are asked again every CHECK_EVERY.
            await self.state.wait_change(
                min(remaining, CHECK_EVERY) if self.busy_checks else remaining
            )

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        token, method = request.match_info["token"], request.match_info["method"]
        if not TOKEN_RE.match(token):
            return web.json_response(ApiError(401, "Unauthorized").payload(), status=401)
        self.state.bot_id = int(token.split(":", 1)[0])
        try:
            params = normalize(await self._read_params(request))
        except ApiError as error:
            self._record_error(method, {}, error)
            return web.json_response(error.payload(), status=error.code)
        self.state.calls.append(Call(method, params, time.time()))
        for hook in self._hooks:
            hook(method, params)
        tracked = method.lower() != "getupdates"
        if tracked:
            self._in_flight[method] += 1
            self.state.touch()
        try:
            fault = self._take_fault(method, params)
            if fault is not None and fault.error == "drop":
                if request.transport is not None:
                    request.transport.close()
                raise asyncio.CancelledError
            if fault is not None:
                error = fault.api_error()
                self._record_error(method, params, error)
                return web.json_response(error.payload(), status=error.code)
            body, status = await self._execute(method, params)
            return web.json_response(body, status=status)
        finally:
            if tracked:
                self._in_flight[method] -= 1
                self.state.touch()

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        values: dict[str, Any] = dict(request.query)
        files: dict[str, UploadedFile] = {}
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as exc:
                raise ApiError.bad_request("can't parse JSON object") from exc
            if isinstance(body, dict):
                values.update(body)
        elif request.body_exists:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    content = value.file.read()
                    files[key] = UploadedFile(value.filename, value.content_type, content)
                else:
                    values[key] = value
        resolve_attachments(values, files)
        return values

    async def _execute(self, method: str, params: dict[str, Any]) -> tuple[dict[str, Any], int]:
        try:
            result = await self.api.call(method, Params(params))
        except ApiError as error:
            self._record_error(method, params, error)
            return error.payload(), error.code
        except Exception:
            log.exception("sandbox failed to execute %s", method)
            error = ApiError(500, "Internal Server Error")
            self._record_error(method, params, error)
            return error.payload(), error.code
        finally:
            self._webhook.ensure_running()
        if isinstance(result, Described):
            return {"ok": True, "result": result.result, "description": result.description}, 200
        return {"ok": True, "result": result}, 200

    async def _execute_logged(self, method: str, params: dict[str, Any], source: str) -> Any:
        values = normalize(params)
        self.state.calls.append(Call(method, values, time.time(), source))
        return await self._execute(method, values)

    def _record_error(self, method: str, params: dict[str, Any], error: ApiError) -> None:
        record = ErrorRecord(method, params, error.code, error.description, time.time())
        self.state.errors.append(record)
