"""What the staff teach the FAQ in /unanswered: the review queue, and the phrasings learned.

The queue is the questions of a recent window that the knowledge base missed (not answered:
unknown, or only "did you mean" with nothing picked; or answered and rated 👎), grouped by
similar wording, and apart from them the "did you mean" picks, a person's own confirmation of
which entry they meant. A question leaves the queue once reviewed (`reviewed_at`), whatever
the staff decided; questions of erased people (their text is blanked, their asker is nobody or
a stand-in with a negative id) are never in it.

A learned phrasing (`faq_learned`) is a way of asking an entry in one language, unique per
entry and language; every instance merges them into its knowledge base (the FAQ reads them
as plain (entry id, language, text) tuples) and notices new ones by `signature`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Integer,
    UniqueConstraint,
    and_,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, CleanString, UTCDateTime, insert, utcnow
from storage.faq_log import FaqQuestion, Outcome
from storage.stats import UNANSWERED_SAMPLE, similar_groups

MAX_TEXT = 300  # the longest phrasing the FAQ takes (content.learned.MAX_PHRASING)
Phrasing = tuple[str, str, str]  # entry id, language, text
Signature = tuple[int, int]  # how many phrasings, the newest id: changes with every one added


class LearnedPhrasing(Base):
    __tablename__ = "faq_learned"
    __table_args__ = (UniqueConstraint("entry_id", "language", "text"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(CleanString(64))
    language: Mapped[str] = mapped_column(CleanString(8))
    text: Mapped[str] = mapped_column(CleanString(MAX_TEXT))
    created_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source_question_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("faq_questions.id", ondelete="SET NULL")
    )


async def learn(
    session: AsyncSession,
    entry_id: str,
    language: str,
    text: str,
    *,
    by: int | None,
    source: int | None = None,
) -> bool:
    """Store a phrasing of `entry_id`; False when it was there already (the unique key
    decides, so two admins teaching the same one at once store it once)."""
    statement = insert(session, LearnedPhrasing).values(
        entry_id=entry_id,
        language=language,
        text=text,
        created_by=by,
        created_at=utcnow(),
        source_question_id=source,
    )
    result = await session.execute(statement.on_conflict_do_nothing())
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def signature(session: AsyncSession) -> Signature:
    count, newest = (
        await session.execute(select(func.count(), func.max(LearnedPhrasing.id)))
    ).one()
    return int(count), int(newest or 0)


async def learned(session: AsyncSession) -> tuple[list[Phrasing], Signature]:
    """Every learned phrasing, oldest first, and the signature of that state."""
    rows = (
        await session.execute(
            select(
                LearnedPhrasing.id,
                LearnedPhrasing.entry_id,
                LearnedPhrasing.language,
                LearnedPhrasing.text,
            ).order_by(LearnedPhrasing.id)
        )
    ).all()
    phrasings = [(row.entry_id, row.language, row.text) for row in rows]
    return phrasings, (len(rows), max((row.id for row in rows), default=0))


# --- the review queue -----------------------------------------------------------------------


def _open(since: datetime) -> tuple[Any, ...]:
    """Asked in the window by someone not erased, and not reviewed yet."""
    return (
        FaqQuestion.created_at >= since,
        FaqQuestion.reviewed_at.is_(None),
        FaqQuestion.user_id > 0,
        FaqQuestion.text != "",
    )


_MISSED = or_(
    FaqQuestion.outcome.in_((Outcome.UNKNOWN, Outcome.SUGGESTED)),
    and_(
        FaqQuestion.helpful.is_(False),
        FaqQuestion.outcome.in_((Outcome.ANSWERED, Outcome.CHOSEN)),
    ),
)
_PICKED = and_(
    FaqQuestion.outcome == Outcome.CHOSEN,
    FaqQuestion.entry_id.is_not(None),
    or_(FaqQuestion.helpful.is_(None), FaqQuestion.helpful.is_(True)),
)


@dataclass(frozen=True, slots=True)
class Missed:
    """Similar questions the knowledge base missed, as one group."""

    text: str  # the group's most frequent wording: what becomes a phrasing
    language: str  # the language of the asker of `question_id`
    question_id: int  # the latest question in that wording: the group's handle on buttons
    question_ids: tuple[int, ...]  # every question of the group, the latest first
    wordings: tuple[str, ...]  # the other wordings asked, the latest first

    @property
    def count(self) -> int:
        return len(self.question_ids)


async def missed(
    session: AsyncSession, since: datetime, limit: int = UNANSWERED_SAMPLE
) -> list[Missed]:
    """The groups of missed questions asked since `since` (the latest `limit` questions),
    most frequent first."""
    rows = (
        await session.execute(
            select(FaqQuestion.id, FaqQuestion.text, FaqQuestion.language)
            .where(*_open(since), _MISSED)
            .order_by(FaqQuestion.created_at.desc(), FaqQuestion.id.desc())
            .limit(limit)
        )
    ).all()
    groups = await asyncio.to_thread(similar_groups, [row.text for row in rows])
    found = []
    for group in groups:
        head = rows[group.first]
        wordings = dict.fromkeys(" ".join(rows[i].text.split()) for i in group.members)
        wordings.pop(group.shown, None)
        found.append(
            Missed(
                group.shown,
                head.language,
                head.id,
                tuple(rows[i].id for i in group.members),
                tuple(wordings),
            )
        )
    return found


def group_of(groups: list[Missed], question_id: int) -> Missed | None:
    """The group a question is in now (groups move as questions come and go: a button names
    one of its questions, not its place in the list)."""
    return next((group for group in groups if question_id in group.question_ids), None)


@dataclass(frozen=True, slots=True)
class Pick:
    """A question whose asker chose an entry from "did you mean"."""

    question_id: int
    text: str
    language: str
    entry_id: str


def _pick(row: Any) -> Pick:
    return Pick(row.id, row.text, row.language, row.entry_id)


_PICK_COLUMNS = (FaqQuestion.id, FaqQuestion.text, FaqQuestion.language, FaqQuestion.entry_id)


async def picks(
    session: AsyncSession, since: datetime, limit: int, offset: int = 0
) -> tuple[list[Pick], int]:
    """A page of the picks not reviewed yet, the latest first, and how many there are."""
    where = (*_open(since), _PICKED)
    total = await session.scalar(select(func.count()).select_from(FaqQuestion).where(*where))
    rows = await session.execute(
        select(*_PICK_COLUMNS)
        .where(*where)
        .order_by(FaqQuestion.created_at.desc(), FaqQuestion.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [_pick(row) for row in rows], int(total or 0)


async def pick(session: AsyncSession, question_id: int, since: datetime) -> Pick | None:
    """The pick `question_id`, if it is still in the queue."""
    row = (
        await session.execute(
            select(*_PICK_COLUMNS).where(FaqQuestion.id == question_id, *_open(since), _PICKED)
        )
    ).first()
    return _pick(row) if row is not None else None


async def review(session: AsyncSession, question_ids: tuple[int, ...], now: datetime) -> int:
    """Take the questions out of the queue; how many were still in it (0: someone else was
    quicker, and the caller should do nothing more)."""
    result = await session.execute(
        update(FaqQuestion)
        .where(FaqQuestion.id.in_(question_ids), FaqQuestion.reviewed_at.is_(None))
        .values(reviewed_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def review_pick(session: AsyncSession, found: Pick, since: datetime, now: datetime) -> int:
    """Take a pick out of the queue with the other picks of the same words and entry (one
    approval covers them all); how many, 0 when it was no longer in it."""
    if not await review(session, (found.question_id,), now):
        return 0
    result = await session.execute(
        update(FaqQuestion)
        .where(*_open(since), _PICKED, FaqQuestion.entry_id == found.entry_id)
        .where(FaqQuestion.text == found.text)
        .values(reviewed_at=now)
        .execution_options(synchronize_session=False)
    )
    return 1 + int(result.rowcount or 0)  # type: ignore[attr-defined]
