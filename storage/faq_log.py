"""What people ask: every question with its outcome, feedback, and hand-offs to the staff."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Integer, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, CleanString, CleanText, UTCDateTime, utcnow
from storage.tally import tally

MAX_LOGGED_TEXT = 4096  # a whole Telegram message: the staff see a handed-off question in full


class Outcome(StrEnum):
    ANSWERED = "answered"
    SUGGESTED = "suggested"
    UNKNOWN = "unknown"
    UNCLEAR = "unclear"  # named no topic ("ok", "how?"): the bot asked what they want to know
    CHOSEN = "chosen"  # picked from "did you mean"
    BROWSED = "browsed"  # opened from the topic list
    SMALL_TALK = "small_talk"  # a greeting or thanks, answered without searching


class FaqQuestion(Base):
    __tablename__ = "faq_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str] = mapped_column(CleanString(8))
    text: Mapped[str] = mapped_column(CleanText)
    entry_id: Mapped[str | None] = mapped_column(CleanString(64), index=True)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    outcome: Mapped[str] = mapped_column(CleanString(16))
    helpful: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    handed_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    staff_replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the first reply
    staff_replied_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    # when the staff dealt with it in /unanswered (taught the FAQ from it, or ignored it)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


async def log_question(
    session: AsyncSession,
    user_id: int,
    language: str,
    text: str,
    *,
    outcome: Outcome,
    entry_id: str | None = None,
    score: float = 0.0,
) -> int:
    """Store a question and what the bot did with it; its id goes into the answer's buttons."""
    question = FaqQuestion(
        user_id=user_id,
        language=language,
        text=text[:MAX_LOGGED_TEXT],
        entry_id=entry_id,
        score=score,
        outcome=outcome,
        created_at=utcnow(),
    )
    session.add(question)
    await session.flush()
    tally(session, "faq", outcome)
    return question.id


async def own_question(session: AsyncSession, question_id: int, user_id: int) -> FaqQuestion | None:
    """The question if `user_id` asked it (buttons can be forged: ownership is checked here)."""
    question = await session.get(FaqQuestion, question_id)
    return question if question is not None and question.user_id == user_id else None


async def choose(session: AsyncSession, question: FaqQuestion, entry_id: str) -> None:
    """The asker picked `entry_id` from the suggestions."""
    question.entry_id = entry_id
    question.outcome = Outcome.CHOSEN


def rate(question: FaqQuestion, helpful: bool) -> None:
    """Store 👍/👎 on a question (fetched with `own_question`, so it is the asker's)."""
    question.helpful = helpful


async def hand_off(session: AsyncSession, question_id: int, user_id: int) -> FaqQuestion | None:
    """Mark the asker's question as passed to the staff, once; None if not theirs or done."""
    result = await session.execute(
        update(FaqQuestion)
        .where(
            FaqQuestion.id == question_id,
            FaqQuestion.user_id == user_id,
            FaqQuestion.handed_off_at.is_(None),
        )
        .values(handed_off_at=utcnow())
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    return await session.get(FaqQuestion, question_id)


async def handed_off(session: AsyncSession, question_id: int) -> FaqQuestion | None:
    """A question that was passed to the staff (what a staff reply may answer)."""
    question = await session.get(FaqQuestion, question_id)
    return question if question is not None and question.handed_off_at is not None else None


async def record_reply(
    session: AsyncSession, question: FaqQuestion, staff_id: int, now: datetime
) -> bool:
    """Record the first reply to `question`, delivered by `staff_id`; False (and nothing
    written) when it already had one: the first to reply stays who answered it."""
    result = await session.execute(
        update(FaqQuestion)
        .where(FaqQuestion.id == question.id, FaqQuestion.staff_replied_at.is_(None))
        .values(staff_replied_at=now, staff_replied_by=staff_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def waiting(session: AsyncSession, limit: int) -> tuple[list[FaqQuestion], int]:
    """Handed-off questions with no staff reply yet, oldest first (at most `limit`), and how
    many there are in all."""
    open_ = (FaqQuestion.handed_off_at.is_not(None), FaqQuestion.staff_replied_at.is_(None))
    total = await session.scalar(select(func.count()).select_from(FaqQuestion).where(*open_))
    rows = await session.scalars(
        select(FaqQuestion)
        .where(*open_)
        .order_by(FaqQuestion.handed_off_at, FaqQuestion.id)
        .limit(limit)
    )
    return list(rows), int(total or 0)


async def anonymise_before(session: AsyncSession, moment: datetime, anonymous_id: int) -> int:
    """Questions asked before `moment` lose their text, who asked (they go to `anonymous_id`,
    the row that stands for nobody) and who replied; the outcome, the entry and the feedback
    stay for statistics. How many were anonymised."""
    result = await session.execute(
        update(FaqQuestion)
        .where(
            FaqQuestion.created_at < moment,
            or_(FaqQuestion.user_id != anonymous_id, FaqQuestion.staff_replied_by.is_not(None)),
        )
        .values(text="", user_id=anonymous_id, staff_replied_by=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
