"""one outbox for every message, with an explicit kind; turned-off push subscriptions; the development mailbox

The page outbox (`notification`) and the stakeholder emails kept on each status update become rows of
one table, `message`. A page's kind, which used to be inferred from which columns were empty, is
written down; its keys take the one format the notification core builds (kind:occasion:recipient,
then the route). Each status update emailed to several stakeholders becomes one message per
stakeholder, carrying what the update said.

Revision ID: 0013_one_outbox
Revises: 0012_clock_check
Create Date: 2026-11-26 10:00:00

"""
import hashlib
import json
import re
from datetime import UTC

import sqlalchemy as sa
from alembic import op

revision = '0013_one_outbox'
down_revision = '0012_clock_check'
branch_labels = None
depends_on = None

NOTIFICATION = sa.table(
    'notification', sa.column('id', sa.Integer), sa.column('key', sa.String), sa.column('incident_id', sa.Integer),
    sa.column('user_id', sa.Integer), sa.column('step', sa.Integer), sa.column('page_key', sa.String),
    sa.column('about', sa.String), sa.column('channel', sa.String), sa.column('subscription_id', sa.Integer),
    sa.column('state', sa.String), sa.column('attempts', sa.Integer), sa.column('next_attempt_at', sa.DateTime),
    sa.column('last_error', sa.String), sa.column('created_at', sa.DateTime), sa.column('sent_at', sa.DateTime),
    sa.column('delivered_at', sa.DateTime), sa.column('shown_at', sa.DateTime), sa.column('acked_at', sa.DateTime),
    sa.column('fallback_at', sa.DateTime))
STATUS_UPDATE = sa.table(
    'status_update', sa.column('id', sa.Integer), sa.column('incident_id', sa.Integer),
    sa.column('audience', sa.String), sa.column('text', sa.Text), sa.column('at', sa.DateTime),
    sa.column('recipients', sa.JSON), sa.column('email_state', sa.String), sa.column('email_attempts', sa.Integer),
    sa.column('email_next_at', sa.DateTime), sa.column('email_error', sa.String))
COPIED = ('incident_id', 'user_id', 'step', 'about', 'channel', 'subscription_id', 'state', 'attempts',
          'next_attempt_at', 'last_error', 'created_at', 'sent_at', 'delivered_at', 'shown_at', 'acked_at',
          'fallback_at')


def _kind(row) -> str:
    """What an old row was, from the key its feature gave it (the email that fell back for a reminder
    had no `about`, so the key decides): e3:s1 a page, e3:r1700000000 a page again, o7:... a regulatory
    deadline, sla12:... an SLA target, upd4:... a status update due, and no incident a test alert."""
    key = row.page_key or row.key
    if row.incident_id is None or key.startswith('test'):
        return 'test'
    if re.match(r'o\d+:', key):
        return 'deadline'
    if key.startswith('sla'):
        return 'clock'
    if key.startswith('upd'):
        return 'update_due'
    if re.match(r'e\d+:r', key):
        return 'repage'
    return 'page'


def _occasion(row) -> str:
    """The old page key without its person (":u5", and on rows older than page keys, the route)."""
    occasion = re.sub(r':u\d+(:.*)?$', '', row.page_key or row.key)
    return occasion.removeprefix('test:')


def _continue_sequence(bind, table: str) -> None:
    """Rows were copied with their ids: PostgreSQL's sequence goes on after the largest."""
    if bind.dialect.name == 'postgresql':
        bind.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                             f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"))


def upgrade():
    message = op.create_table('message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('group_key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('occasion', sa.String(length=120), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('address', sa.String(length=254), nullable=True),
    sa.Column('step', sa.Integer(), nullable=True),
    sa.Column('about', sa.String(length=300), nullable=True),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.Column('shown_at', sa.DateTime(), nullable=True),
    sa.Column('acked_at', sa.DateTime(), nullable=True),
    sa.Column('fallback_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_message_incident_id_incident')),
    sa.ForeignKeyConstraint(['subscription_id'], ['push_subscription.id'],
                            name=op.f('fk_message_subscription_id_push_subscription'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_message_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message')),
    sa.UniqueConstraint('key', name=op.f('uq_message_key'))
    )
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_group_key'), ['group_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_next_attempt_at'), ['next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_subscription_id'), ['subscription_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_user_id'), ['user_id'], unique=False)

    bind = op.get_bind()
    rows = []
    for old in bind.execute(sa.select(NOTIFICATION).order_by(NOTIFICATION.c.id)):
        kind, occasion = _kind(old), _occasion(old)
        group = f'{kind}:{occasion}:u{old.user_id}'
        rows.append({'id': old.id, 'key': f'{group}:{old.channel}{old.subscription_id or ""}', 'group_key': group,
                     'kind': kind, 'occasion': occasion, 'address': None, 'details': None,
                     **{name: getattr(old, name) for name in COPIED}})
    updates = list(bind.execute(sa.select(STATUS_UPDATE).where(STATUS_UPDATE.c.email_state != 'none')
                                .order_by(STATUS_UPDATE.c.id)))
    for update in updates:
        state = {'sending': 'pending'}.get(update.email_state, update.email_state)
        at = update.at.replace(tzinfo=UTC).isoformat()
        for address in (update.recipients if not isinstance(update.recipients, str) else json.loads(update.recipients)):
            recipient = 'a' + hashlib.sha256(address.lower().encode()).hexdigest()[:16]
            group = f'stakeholder:upd{update.id}:{recipient}'
            rows.append({'key': f'{group}:email', 'group_key': group, 'kind': 'stakeholder',
                         'occasion': f'upd{update.id}', 'incident_id': update.incident_id, 'user_id': None,
                         'address': address, 'step': None, 'about': None,
                         'details': {'audience': update.audience, 'text': update.text, 'at': at},
                         'channel': 'email', 'subscription_id': None, 'state': state,
                         'attempts': update.email_attempts, 'next_attempt_at': update.email_next_at or update.at,
                         'last_error': update.email_error, 'created_at': update.at,
                         'sent_at': update.at if state == 'sent' else None, 'delivered_at': None, 'shown_at': None,
                         'acked_at': None, 'fallback_at': None})
    with_id = [row for row in rows if 'id' in row]
    if with_id:
        op.bulk_insert(message, with_id)
        _continue_sequence(bind, 'message')  # before the stakeholder rows take new ids
    if len(with_id) < len(rows):
        op.bulk_insert(message, [row for row in rows if 'id' not in row])

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_subscription_id'))
        batch_op.drop_index(batch_op.f('ix_notification_page_key'))
        batch_op.drop_index(batch_op.f('ix_notification_next_attempt_at'))
        batch_op.drop_index(batch_op.f('ix_notification_incident_id'))
    op.drop_table('notification')

    with op.batch_alter_table('status_update', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_update_email_next_at'))
        batch_op.drop_column('email_error')
        batch_op.drop_column('email_next_at')
        batch_op.drop_column('email_attempts')
        batch_op.drop_column('email_state')

    with op.batch_alter_table('push_subscription', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disabled_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('disabled_reason', sa.String(length=500), nullable=True))

    op.create_table('dev_mail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('to', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dev_mail'))
    )
    with op.batch_alter_table('dev_mail', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dev_mail_to'), ['to'], unique=False)


def downgrade():
    """Back to the page outbox and emails on status updates. Stakeholder messages are folded back into
    their update (the last state wins); messages of kinds the old table cannot tell apart keep their
    columns, which is all it had."""
    with op.batch_alter_table('dev_mail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dev_mail_to'))
    op.drop_table('dev_mail')

    with op.batch_alter_table('push_subscription', schema=None) as batch_op:
        batch_op.drop_column('disabled_reason')
        batch_op.drop_column('disabled_at')

    with op.batch_alter_table('status_update', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_state', sa.String(length=10), nullable=False, server_default='none'))
        batch_op.add_column(sa.Column('email_attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('email_next_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('email_error', sa.String(length=500), nullable=True))
        batch_op.create_index(batch_op.f('ix_status_update_email_next_at'), ['email_next_at'], unique=False)

    notification = op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('page_key', sa.String(length=120), nullable=True),
    sa.Column('subscription_id', sa.Integer(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.Column('shown_at', sa.DateTime(), nullable=True),
    sa.Column('acked_at', sa.DateTime(), nullable=True),
    sa.Column('fallback_at', sa.DateTime(), nullable=True),
    sa.Column('about', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_notification_incident_id_incident')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notification_user_id_user')),
    sa.ForeignKeyConstraint(['subscription_id'], ['push_subscription.id'],
                            name=op.f('fk_notification_subscription_id_push_subscription'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    sa.UniqueConstraint('key', name=op.f('uq_notification_key'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_next_attempt_at'), ['next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_page_key'), ['page_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_subscription_id'), ['subscription_id'], unique=False)

    bind = op.get_bind()
    message = sa.table('message', *(sa.column(name, NOTIFICATION.c[name].type) for name in ('id', *COPIED)),
                       sa.column('key', sa.String), sa.column('group_key', sa.String), sa.column('kind', sa.String),
                       sa.column('occasion', sa.String), sa.column('address', sa.String),
                       sa.column('details', sa.JSON))
    pages = []
    for row in bind.execute(sa.select(message).order_by(message.c.id)):
        if row.user_id is None:  # a stakeholder's email: back onto its update
            update_id = int(row.occasion.removeprefix('upd'))
            bind.execute(STATUS_UPDATE.update().where(STATUS_UPDATE.c.id == update_id).values(
                email_state={'delivered': 'sent', 'shown': 'sent'}.get(row.state, row.state),
                email_attempts=row.attempts, email_next_at=row.next_attempt_at, email_error=row.last_error))
            continue
        if row.channel == 'app':
            continue
        pages.append({'id': row.id, 'key': row.key[:120], 'page_key': row.group_key[:120],
                      **{name: getattr(row, name) for name in COPIED}})
    if pages:
        op.bulk_insert(notification, pages)
        _continue_sequence(bind, 'notification')

    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_user_id'))
        batch_op.drop_index(batch_op.f('ix_message_subscription_id'))
        batch_op.drop_index(batch_op.f('ix_message_next_attempt_at'))
        batch_op.drop_index(batch_op.f('ix_message_incident_id'))
        batch_op.drop_index(batch_op.f('ix_message_group_key'))
    op.drop_table('message')
