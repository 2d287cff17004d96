"""Request parameters and the checks Telegram applies to them."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

INT_FIELDS = frozenset(
    {
        "chat_id",
        "message_id",
        "offset",
        "limit",
        "timeout",
        "user_id",
        "cache_time",
        "max_connections",
        "reply_to_message_id",
        "message_thread_id",
    }
)
JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "allowed_updates",
        "link_preview_options",
        "reply_parameters",
    }
)
BOOL_FIELDS = frozenset(
    {
        "show_alert",
        "drop_pending_updates",
        "disable_notification",
        "protect_content",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "has_spoiler",
        "disable_content_type_detection",
    }
)
MAX_CALLBACK_DATA_BYTES = 64
URL_SCHEMES = ("http://", "https://", "tg://")
INLINE_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


class ApiError(Exception):
    """An error answer of the Bot API."""

    def __init__(self, code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    @classmethod
    def bad_request(cls, detail: str) -> ApiError:
        """Build a 400 error."""
        return cls(400, f"Bad Request: {detail}")

    def payload(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


@dataclass(frozen=True)
class UploadedFile:
    """A file sent as a multipart part."""

    filename: str
    content_type: str
    content: bytes


def resolve_attachments(values: dict[str, Any], files: dict[str, UploadedFile]) -> None:
    """Replace `attach://name` references with the uploaded parts; keep other parts by name."""
    for key, value in list(values.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            part = files.pop(value.removeprefix("attach://"), None)
            if part is not None:
                values[key] = part
    values.update(files)


def normalize(values: Mapping[str, Any]) -> dict[str, Any]:
    """Convert form strings into the JSON types Telegram would see; keep what does not parse."""
    result: dict[str, Any] = {}
    for key, value in values.items():
        result[key] = value
        if not isinstance(value, str):
            continue
        if key in INT_FIELDS:
            with contextlib.suppress(ValueError):
                result[key] = int(value)
        elif key in JSON_FIELDS:
            with contextlib.suppress(ValueError):
                result[key] = json.loads(value)
        elif key in BOOL_FIELDS and value.lower() in ("true", "false", "1", "0"):
            result[key] = value.lower() in ("true", "1")
    return result


class Params:
    """Typed access to the parameters of one call."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = dict(values)

    def has(self, name: str) -> bool:
        """Whether the parameter was given and is not empty."""
        return self.values.get(name) not in (None, "")

    def get_text(self, name: str) -> str | None:
        """A string parameter."""
        value = self.values.get(name)
        return None if value is None else str(value)

    def get_int(self, name: str, *, missing: str | None = None) -> int | None:
        """An integer parameter; `missing` is the error detail when absent."""
        value = self.values.get(name)
        if value in (None, ""):
            if missing is not None:
                raise ApiError.bad_request(missing)
            return None
        if isinstance(value, bool):
            raise ApiError.bad_request(f"invalid {name} specified")
        if isinstance(value, int):
            return value
        try:
            return int(str(value))
        except ValueError as exc:
            raise ApiError.bad_request(f"invalid {name} specified") from exc

    def get_chat_id(self) -> int:
        """The chat_id parameter; usernames of private chats cannot be resolved."""
        value = self.values.get("chat_id")
        if value in (None, ""):
            raise ApiError.bad_request("chat_id is empty")
        try:
            return int(str(value))
        except ValueError as exc:
            raise ApiError.bad_request("chat not found") from exc

    def get_bool(self, name: str) -> bool:
        """A boolean parameter, false when absent."""
        value = self.values.get(name)
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)

    def get_json(self, name: str, what: str) -> Any:
        """A JSON-serialized parameter, already decoded or still a string."""
        value = self.values.get(name)
        if isinstance(value, str):
            if not value:
                return None
            try:
                return json.loads(value)
            except ValueError as exc:
                raise ApiError.bad_request(f"can't parse {what} JSON object") from exc
        return value


def validate_reply_markup(markup: Any) -> dict[str, Any] | None:
    """Check a reply_markup object the way Telegram does and return it."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError.bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _validate_inline_keyboard(markup["inline_keyboard"])
        return markup
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise ApiError.bad_request("can't parse reply keyboard markup JSON object")
        for row in rows:
            for button in row:
                if not isinstance(button, str | dict) or (
                    isinstance(button, dict) and not isinstance(button.get("text"), str)
                ):
                    raise ApiError.bad_request(
                        'can\'t parse keyboard button: Field "text" must be of type String'
                    )
        return markup
    if markup.get("remove_keyboard") or markup.get("force_reply"):
        return markup
    raise ApiError.bad_request("can't parse reply keyboard markup JSON object")


def _validate_inline_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ApiError.bad_request("can't parse inline keyboard markup JSON object")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise ApiError.bad_request(
                    'can\'t parse inline keyboard button: Field "text" must be of type String'
                )
            actions = [key for key in INLINE_ACTIONS if key in button]
            if not actions:
                raise ApiError.bad_request(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            if "callback_data" in button:
                data = button["callback_data"]
                if (
                    not isinstance(data, str)
                    or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES
                ):
                    raise ApiError.bad_request("BUTTON_DATA_INVALID")
            if "url" in button:
                url = button["url"]
                if not isinstance(url, str) or not url.startswith(URL_SCHEMES):
                    raise ApiError.bad_request("BUTTON_URL_INVALID")


def inline_rows(markup: Mapping[str, Any] | None) -> list[list[dict[str, Any]]]:
    """The inline keyboard rows of a markup, or an empty list."""
    if not markup:
        return []
    rows = markup.get("inline_keyboard")
    return rows if isinstance(rows, list) else []
