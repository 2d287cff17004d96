"""Pushing updates to the bot's webhook and running webhook replies."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import (
    BodyPartReader,
    ClientError,
    ClientResponse,
    ClientSession,
    ClientTimeout,
    MultipartReader,
)

from bot.sandbox.records import PendingUpdate, WebhookConfig
from bot.sandbox.state import SandboxState, now
from bot.sandbox.validation import UploadedFile, resolve_attachments

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
Executor = Callable[[str, dict[str, Any], str], Awaitable[Any]]
log = logging.getLogger(__name__)


async def read_reply(response: ClientResponse) -> dict[str, Any] | None:
    """Decode a webhook response body that asks for a method call (JSON, form or multipart)."""
    content_type = response.content_type
    values: dict[str, Any] = {}
    files: dict[str, UploadedFile] = {}
    if content_type == "multipart/form-data":
        reader = MultipartReader.from_response(response)
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            content = await part.read()
            if part.filename:
                mime = part.headers.get("Content-Type", "application/octet-stream")
                files[part.name] = UploadedFile(part.filename, mime, bytes(content))
            else:
                values[part.name] = bytes(content).decode()
    elif content_type == "application/x-www-form-urlencoded":
        values.update(parse_qsl((await response.read()).decode()))
    else:
        try:
            body = json.loads(await response.read() or b"null")
        except ValueError:
            return None
        if not isinstance(body, dict):
            return None
        values.update(body)
    resolve_attachments(values, files)
    return values if isinstance(values.get("method"), str) else None


class WebhookPusher:
    """Delivers pending updates one by one while a webhook is set."""

    def __init__(self, state: SandboxState, execute: Executor, retry_delay: float) -> None:
        self.state = state
        self.execute = execute
        self.retry_delay = retry_delay
        self.timeout = ClientTimeout(total=60)
        self._session: ClientSession | None = None
        self._task: asyncio.Task[None] | None = None

    def ensure_running(self) -> None:
        """Start the delivery loop if a webhook is set and it is not running."""
        if self.state.webhook is None or self.state.closing:
            return
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._loop(), name="sandbox-webhook")

    async def close(self) -> None:
        """Stop delivering and release the HTTP session."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    async def _loop(self) -> None:
        state = self.state
        while not state.closing and state.webhook is not None:
            if not state.pending:
                await state.wait_change(None)
                continue
            update = state.pending[0]
            if await self._deliver(state.webhook, update):
                if update in state.pending:
                    state.pending.remove(update)
                state.touch()
            else:
                await asyncio.sleep(self.retry_delay)

    async def _deliver(self, hook: WebhookConfig, update: PendingUpdate) -> bool:
        if self._session is None:
            self._session = ClientSession()
        headers = {SECRET_HEADER: hook.secret_token} if hook.secret_token else {}
        try:
            async with self._session.post(
                hook.url, json=update.payload, headers=headers, timeout=self.timeout
            ) as response:
                if not 200 <= response.status < 300:
                    self._fail(
                        hook,
                        f"Wrong response from the webhook: {response.status} "
                        f"{response.reason or ''}".strip(),
                    )
                    return False
                reply = await read_reply(response)
        except (ClientError, TimeoutError, OSError) as error:
            self._fail(hook, str(error) or type(error).__name__)
            return False
        if reply is not None:
            method = str(reply.pop("method"))
            await self.execute(method, reply, "webhook")
        return True

    @staticmethod
    def _fail(hook: WebhookConfig, message: str) -> None:
        log.warning("webhook delivery failed: %s", message)
        hook.last_error_date = now()
        hook.last_error_message = message
