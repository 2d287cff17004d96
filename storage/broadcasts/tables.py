"""The broadcasts table; its recipients are outbox rows (kind `broadcast`, ref its id)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UTCDateTime, utcnow


class Status(StrEnum):
    SCHEDULED = "scheduled"  # waits for `scheduled_at`
    SENDING = "sending"  # its outbox rows are written; the engine sends them
    DONE = "done"
    CANCELLED = "cancelled"


class Broadcast(Base):
    __tablename__ = "broadcasts"
    __table_args__ = (Index("ix_broadcasts_status_scheduled_at", "status", "scheduled_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    author_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), default=Status.SCHEDULED)
    # locale → {"html": text or caption as Telegram HTML, "media": None or [kind, file_id]}
    variants: Mapped[dict[str, Any]] = mapped_column(JSON)
    default_locale: Mapped[str] = mapped_column(String(8))
    button: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # {"kind": ..., "ref": ...}
    audience: Mapped[dict[str, Any]] = mapped_column(JSON)  # {"kind": ..., "value": ...}
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    total: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
