"""A local stand-in for the Telegram Bot API with simulated users."""

from bot.sandbox.chat import TerminalChat
from bot.sandbox.client import SandboxUser
from bot.sandbox.records import Call, CallbackAnswer, ErrorRecord
from bot.sandbox.server import SandboxServer
from bot.sandbox.views import Button, SandboxDocument, SandboxMessage, SandboxPhoto

__all__ = [
    "Button",
    "Call",
    "CallbackAnswer",
    "ErrorRecord",
    "SandboxDocument",
    "SandboxMessage",
    "SandboxPhoto",
    "SandboxServer",
    "SandboxUser",
    "TerminalChat",
]
