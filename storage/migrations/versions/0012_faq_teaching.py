"""faq teaching: phrasings the staff taught from missed questions, reviewed questions

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("faq_questions") as batch:
        batch.add_column(sa.Column("reviewed_at", UTC_DATETIME, nullable=True))
    op.create_table(
        "faq_learned",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("source_question_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"],
            name=op.f("fk_faq_learned_created_by_users"), ondelete="SET NULL",
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["source_question_id"], ["faq_questions.id"],
            name=op.f("fk_faq_learned_source_question_id_faq_questions"), ondelete="SET NULL",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faq_learned")),
        sa.UniqueConstraint(
            "entry_id", "language", "text", name=op.f("uq_faq_learned_entry_id_language_text")
        ),
    )


def downgrade() -> None:
    op.drop_table("faq_learned")
    with op.batch_alter_table("faq_questions") as batch:
        batch.drop_column("reviewed_at")
