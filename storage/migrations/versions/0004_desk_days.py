"""desk days: the row a booking and a closure of the same day both write

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('desk_days',
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('closed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_desk_days_location_id_locations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('location_id', 'day', name=op.f('pk_desk_days'))
    )
    # Days closed before this revision are closed in the new table too.
    op.execute(
        "INSERT INTO desk_days (location_id, day, closed) "
        "SELECT location_id, day, TRUE FROM closed_days"
    )


def downgrade() -> None:
    op.drop_table('desk_days')
