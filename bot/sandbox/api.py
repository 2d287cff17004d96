"""Dispatch of Bot API methods onto the sandbox state."""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.sandbox.messages import MessageMethods
from bot.sandbox.records import CallbackAnswer, WebhookConfig
from bot.sandbox.state import SandboxState
from bot.sandbox.validation import ApiError, Params

CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
MAX_COMMANDS = 100
MAX_CALLBACK_ANSWER = 200  # characters of a callback answer (toast or alert)


@dataclass(frozen=True)
class Described:
    """A result that Telegram accompanies with a description."""

    result: Any
    description: str


def scope_key(scope: Any) -> str:
    """A readable key for a BotCommandScope: 'default', 'chat:42', 'chat_member:42:7'."""
    if not isinstance(scope, dict) or not scope.get("type"):
        return "default"
    parts = [str(scope["type"])]
    parts += [str(scope[key]) for key in ("chat_id", "user_id") if key in scope]
    return ":".join(parts)


class BotApi(MessageMethods):
    """All supported methods, looked up case-insensitively."""

    def __init__(self, state: SandboxState) -> None:
        super().__init__(state)
        self.methods: dict[str, Callable[[Params], Any]] = {
            "getme": self.get_me,
            "getupdates": self.get_updates,
            "setwebhook": self.set_webhook,
            "deletewebhook": self.delete_webhook,
            "getwebhookinfo": self.get_webhook_info,
            "sendmessage": self.send_message,
            "senddocument": self.send_document,
            "sendphoto": self.send_photo,
            "editmessagetext": self.edit_message_text,
            "editmessagecaption": self.edit_message_caption,
            "editmessagereplymarkup": self.edit_message_reply_markup,
            "deletemessage": self.delete_message,
            "answercallbackquery": self.answer_callback_query,
            "sendchataction": self.send_chat_action,
            "setmycommands": self.set_my_commands,
            "getmycommands": self.get_my_commands,
            "deletemycommands": self.delete_my_commands,
            "setmydescription": self.set_my_description,
            "setmyshortdescription": self.set_my_short_description,
            "close": self.ok,
            "logout": self.ok,
        }

    async def call(self, method: str, params: Params) -> Any:
        """Run a method; raises ApiError for Telegram errors."""
        handler = self.methods.get(method.lower())
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        result = handler(params)
        return await result if inspect.isawaitable(result) else result

    def ok(self, params: Params) -> bool:
        return True

    def get_me(self, params: Params) -> dict[str, Any]:
        return {
            **self.state.bot_wire(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def get_updates(self, params: Params) -> list[dict[str, Any]]:
        state = self.state
        if state.webhook is not None:
            raise ApiError(409, CONFLICT)
        offset = params.get_int("offset") or 0
        limit = min(max(params.get_int("limit") or 100, 1), 100)
        timeout = max(params.get_int("timeout") or 0, 0)
        state.polls += 1
        if offset > 0:
            state.confirm(offset)
        elif offset < 0 and len(state.pending) > -offset:
            state.confirm(state.pending[offset].update_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            batch = [u.payload for u in state.pending if u.update_id >= offset][:limit]
            remaining = deadline - loop.time()
            if batch or state.closing or remaining <= 0:
                return batch
            await state.wait_change(remaining)
            if state.webhook is not None:
                raise ApiError(409, CONFLICT)

    def set_webhook(self, params: Params) -> Described:
        url = params.get_text("url") or ""
        if not url:
            return self.delete_webhook(params)
        if not url.startswith(("http://", "https://")):
            raise ApiError.bad_request("bad webhook: HTTPS url must be provided for webhook")
        secret = params.get_text("secret_token") or None
        if secret is not None and not SECRET_RE.match(secret):
            raise ApiError.bad_request("secret token contains unallowed characters")
        if params.get_bool("drop_pending_updates"):
            self.state.drop_pending()
        previous = self.state.webhook
        max_connections = params.get_int("max_connections") or 40
        self.state.webhook = WebhookConfig(url, secret, max_connections)
        self.state.touch()
        if previous is not None and previous.url == url and previous.secret_token == secret:
            return Described(True, "Webhook is already set")
        return Described(True, "Webhook was set")

    def delete_webhook(self, params: Params) -> Described:
        if params.get_bool("drop_pending_updates"):
            self.state.drop_pending()
        if self.state.webhook is None:
            return Described(True, "Webhook is already deleted")
        self.state.webhook = None
        self.state.touch()
        return Described(True, "Webhook was deleted")

    def get_webhook_info(self, params: Params) -> dict[str, Any]:
        hook = self.state.webhook
        info: dict[str, Any] = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.state.pending),
        }
        if hook is not None:
            info["max_connections"] = hook.max_connections
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
        return info

    def answer_callback_query(self, params: Params) -> bool:
        query_id = params.get_text("callback_query_id") or ""
        record = self.state.callbacks.get(query_id)
        if record is None or record.answer is not None:
            raise ApiError.bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = params.get_text("text") or None
        if text is not None and len(text) > MAX_CALLBACK_ANSWER:
            raise ApiError.bad_request("MESSAGE_TOO_LONG")
        record.answer = CallbackAnswer(
            callback_id=query_id,
            text=text,
            show_alert=params.get_bool("show_alert"),
            url=params.get_text("url") or None,
        )
        self.state.callback_answers.append(record.answer)
        self.state.touch()
        return True

    def send_chat_action(self, params: Params) -> bool:
        self.chat(params)
        return True

    def _commands_key(self, params: Params) -> tuple[str, str]:
        scope = params.get_json("scope", "scope")
        return scope_key(scope), params.get_text("language_code") or ""

    def set_my_commands(self, params: Params) -> bool:
        commands = params.get_json("commands", "commands")
        if not isinstance(commands, list):
            raise ApiError.bad_request("can't parse commands JSON object")
        if len(commands) > MAX_COMMANDS:
            raise ApiError.bad_request("BOT_COMMANDS_TOO_MUCH")
        stored: list[dict[str, str]] = []
        for item in commands:
            if not isinstance(item, dict):
                raise ApiError.bad_request("can't parse commands JSON object")
            command = str(item.get("command", "")).removeprefix("/").lower()
            description = str(item.get("description", ""))
            if not COMMAND_RE.match(command):
                raise ApiError.bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise ApiError.bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            stored.append({"command": command, "description": description})
        key = self._commands_key(params)
        if stored:
            self.state.bot_commands[key] = stored
        else:
            self.state.bot_commands.pop(key, None)
        return True

    def get_my_commands(self, params: Params) -> list[dict[str, str]]:
        return list(self.state.bot_commands.get(self._commands_key(params), []))

    def delete_my_commands(self, params: Params) -> bool:
        self.state.bot_commands.pop(self._commands_key(params), None)
        return True

    def set_my_description(self, params: Params) -> bool:
        key = ("description", params.get_text("language_code") or "")
        self.state.descriptions[key] = params.get_text("description") or ""
        return True

    def set_my_short_description(self, params: Params) -> bool:
        key = ("short_description", params.get_text("language_code") or "")
        self.state.descriptions[key] = params.get_text("short_description") or ""
        return True
