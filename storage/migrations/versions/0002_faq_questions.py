"""faq questions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "faq_questions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("handed_off_at", UTC_DATETIME, nullable=True),
        sa.Column("staff_replied_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"],
            name=op.f("fk_faq_questions_user_id_users"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faq_questions")),
    )
    op.create_index(op.f("ix_faq_questions_created_at"), "faq_questions", ["created_at"])
    op.create_index(op.f("ix_faq_questions_entry_id"), "faq_questions", ["entry_id"])
    op.create_index(op.f("ix_faq_questions_user_id"), "faq_questions", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_faq_questions_user_id"), table_name="faq_questions")
    op.drop_index(op.f("ix_faq_questions_entry_id"), table_name="faq_questions")
    op.drop_index(op.f("ix_faq_questions_created_at"), table_name="faq_questions")
    op.drop_table("faq_questions")
