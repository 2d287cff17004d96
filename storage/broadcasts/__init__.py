"""Broadcasts: an announcement composed by an admin, a variant per language, sent to an
audience through the outbox at Telegram's pace."""
