"""web push subscriptions and delivery receipts

Revision ID: 0006_web_push
Revises: d7027f5200c1
Create Date: 2026-11-22 17:54:39.074206

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006_web_push"
down_revision = 'd7027f5200c1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('push_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('endpoint', sa.Text(), nullable=False),
    sa.Column('endpoint_hash', sa.String(length=64), nullable=False),
    sa.Column('p256dh', sa.String(length=200), nullable=False),
    sa.Column('auth', sa.String(length=100), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_success_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('last_error_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_push_subscription_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_push_subscription')),
    sa.UniqueConstraint('endpoint_hash', name=op.f('uq_push_subscription_endpoint_hash'))
    )
    with op.batch_alter_table('push_subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_push_subscription_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('page_key', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('subscription_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('delivered_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('shown_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('acked_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('fallback_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_notification_page_key'), ['page_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_subscription_id'), ['subscription_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_notification_subscription_id_push_subscription'),
                                    'push_subscription', ['subscription_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notification_subscription_id_push_subscription'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_notification_subscription_id'))
        batch_op.drop_index(batch_op.f('ix_notification_page_key'))
        batch_op.drop_column('fallback_at')
        batch_op.drop_column('acked_at')
        batch_op.drop_column('shown_at')
        batch_op.drop_column('delivered_at')
        batch_op.drop_column('subscription_id')
        batch_op.drop_column('page_key')

    with op.batch_alter_table('push_subscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_push_subscription_user_id'))

    op.drop_table('push_subscription')
