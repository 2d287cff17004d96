"""staff replies: who gave the first answer to a handed-off question

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("faq_questions") as batch:
        batch.add_column(sa.Column("staff_replied_by", sa.BigInteger(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_faq_questions_staff_replied_by_users"),
            "users",
            ["staff_replied_by"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("faq_questions") as batch:
        batch.drop_constraint(op.f("fk_faq_questions_staff_replied_by_users"), type_="foreignkey")
        batch.drop_column("staff_replied_by")
