"""desk booking

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('locations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=16), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('names', sa.JSON(), nullable=False),
    sa.Column('addresses', sa.JSON(), nullable=False),
    sa.Column('hours', sa.JSON(), nullable=False),
    sa.Column('closed', sa.JSON(), nullable=False),
    sa.Column('max_active', sa.Integer(), nullable=False),
    sa.Column('horizon_days', sa.Integer(), nullable=False),
    sa.Column('offer_window_minutes', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_locations')),
    sa.UniqueConstraint('key', name=op.f('uq_locations_key'))
    )
    op.create_table('closed_days',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('closed_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at', UTC_DATETIME, nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_closed_days_location_id_locations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_closed_days')),
    sa.UniqueConstraint('location_id', 'day', name=op.f('uq_closed_days_location_id_day'))
    )
    op.create_table('zones',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=16), nullable=False),
    sa.Column('names', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_zones_location_id_locations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zones')),
    sa.UniqueConstraint('location_id', 'key', name=op.f('uq_zones_location_id_key'))
    )
    op.create_table('desks',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=16), nullable=False),
    sa.Column('label', sa.String(length=16), nullable=False),
    sa.Column('features', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_desks_location_id_locations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_desks_zone_id_zones'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_desks')),
    sa.UniqueConstraint('location_id', 'key', name=op.f('uq_desks_location_id_key'))
    )
    op.create_table('desk_bookings',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('desk_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('period', sa.String(length=2), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('starts_at', UTC_DATETIME, nullable=False),
    sa.Column('ends_at', UTC_DATETIME, nullable=False),
    sa.Column('reminded_at', UTC_DATETIME, nullable=True),
    sa.Column('hold_expires_at', UTC_DATETIME, nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('created_at', UTC_DATETIME, nullable=False),
    sa.Column('updated_at', UTC_DATETIME, nullable=False),
    sa.Column('cancel_reason', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['desk_id'], ['desks.id'], name=op.f('fk_desk_bookings_desk_id_desks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_desk_bookings_location_id_locations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_desk_bookings_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_desk_bookings'))
    )
    with op.batch_alter_table('desk_bookings', schema=None) as batch_op:
        batch_op.create_index('ix_desk_bookings_location_day', ['location_id', 'day'], unique=False)
        batch_op.create_index('ix_desk_bookings_status_hold', ['status', 'hold_expires_at'], unique=False)
        batch_op.create_index('ix_desk_bookings_user_status_ends', ['user_id', 'status', 'ends_at'], unique=False)

    op.create_table('desk_slots',
    sa.Column('desk_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('half', sa.String(length=2), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['booking_id'], ['desk_bookings.id'], name=op.f('fk_desk_slots_booking_id_desk_bookings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['desk_id'], ['desks.id'], name=op.f('fk_desk_slots_desk_id_desks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('desk_id', 'day', 'half', name=op.f('pk_desk_slots')),
    sa.UniqueConstraint('user_id', 'day', 'half', name=op.f('uq_desk_slots_user_id_day_half'))
    )
    with op.batch_alter_table('desk_slots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_desk_slots_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index('ix_desk_slots_location_day', ['location_id', 'day'], unique=False)

    op.create_table('desk_waitlist',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('period', sa.String(length=2), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTC_DATETIME, nullable=False),
    sa.Column('updated_at', UTC_DATETIME, nullable=False),
    sa.ForeignKeyConstraint(['booking_id'], ['desk_bookings.id'], name=op.f('fk_desk_waitlist_booking_id_desk_bookings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_desk_waitlist_location_id_locations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_desk_waitlist_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_desk_waitlist'))
    )
    with op.batch_alter_table('desk_waitlist', schema=None) as batch_op:
        batch_op.create_index('ix_desk_waitlist_location_day_status', ['location_id', 'day', 'status'], unique=False)
        batch_op.create_index('ix_desk_waitlist_user_status', ['user_id', 'status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('desk_waitlist', schema=None) as batch_op:
        batch_op.drop_index('ix_desk_waitlist_user_status')
        batch_op.drop_index('ix_desk_waitlist_location_day_status')

    op.drop_table('desk_waitlist')
    with op.batch_alter_table('desk_slots', schema=None) as batch_op:
        batch_op.drop_index('ix_desk_slots_location_day')
        batch_op.drop_index(batch_op.f('ix_desk_slots_booking_id'))

    op.drop_table('desk_slots')
    with op.batch_alter_table('desk_bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_desk_bookings_user_status_ends')
        batch_op.drop_index('ix_desk_bookings_status_hold')
        batch_op.drop_index('ix_desk_bookings_location_day')

    op.drop_table('desk_bookings')
    op.drop_table('desks')
    op.drop_table('zones')
    op.drop_table('closed_days')
    op.drop_table('locations')