"""Async filters: aiogram runs synchronous ones (such as `F.text`) in a worker thread."""

from aiogram.types import Message


async def has_text(message: Message) -> bool:
    return message.text is not None


async def is_command(message: Message) -> bool:
    return (message.text or "").startswith("/")
