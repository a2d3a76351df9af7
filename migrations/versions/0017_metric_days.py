"""each site's day counted and kept for the metrics (metric_day, metric_count, metric_mark), and the
durations to acknowledge and to resolve kept on each incident with an index to read them in order

Revision ID: 0017_metric_days
Revises: 0016_clock_due_times
Create Date: 2026-11-26 23:50:00

The durations of existing incidents are filled in here; the days are counted by the worker (a week of
a site a pass), and until a day is counted the metrics count it from the incidents.
"""
import sqlalchemy as sa
from alembic import op

revision = '0017_metric_days'
down_revision = '0016_clock_due_times'
branch_labels = None
depends_on = None

BATCH = 5000


def _fill_durations():
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute("UPDATE incident SET ack_seconds = extract(epoch FROM acknowledged_at - reported_at), "
                   "resolve_seconds = extract(epoch FROM resolved_at - reported_at)")
        return
    incident = sa.table('incident', sa.column('id', sa.Integer), sa.column('reported_at', sa.DateTime),
                        sa.column('acknowledged_at', sa.DateTime), sa.column('resolved_at', sa.DateTime),
                        sa.column('ack_seconds', sa.Float), sa.column('resolve_seconds', sa.Float))
    after = 0
    while rows := bind.execute(sa.select(incident.c.id, incident.c.reported_at, incident.c.acknowledged_at,
                                         incident.c.resolved_at).where(incident.c.id > after)
                               .order_by(incident.c.id).limit(BATCH)).all():
        changes = [{"key": i, "ack": None if a is None else (a - r).total_seconds(),
                    "resolve": None if s is None else (s - r).total_seconds()} for i, r, a, s in rows]
        bind.execute(incident.update().where(incident.c.id == sa.bindparam('key'))
                     .values(ack_seconds=sa.bindparam('ack'), resolve_seconds=sa.bindparam('resolve')), changes)
        after = rows[-1][0]


def upgrade():
    with op.batch_alter_table('incident') as batch:
        batch.add_column(sa.Column('ack_seconds', sa.Float(), nullable=True))
        batch.add_column(sa.Column('resolve_seconds', sa.Float(), nullable=True))
    _fill_durations()
    with op.batch_alter_table('incident') as batch:
        batch.create_index('ix_incident_ack_seconds', ['ack_seconds', 'reported_at', 'site_id', 'severity', 'status'])
        batch.create_index('ix_incident_resolve_seconds',
                           ['resolve_seconds', 'reported_at', 'site_id', 'severity', 'status'])
    op.create_table(
        'metric_day',
        sa.Column('site_id', sa.Integer(), sa.ForeignKey('site.id', ondelete='CASCADE'), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('as_of', sa.DateTime(), nullable=False),
        sa.Column('valid_until', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('site_id', 'day'))
    op.create_index('ix_metric_day_valid_until', 'metric_day', ['valid_until'])
    op.create_table(
        'metric_count',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('site_id', sa.Integer(), sa.ForeignKey('site.id', ondelete='CASCADE'), nullable=False),
        sa.Column('severity', sa.String(length=2), nullable=False),
        sa.Column('figure', sa.String(length=40), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('seconds', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'site_id', 'severity', 'figure'))
    op.create_table(
        'metric_mark',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), sa.ForeignKey('site.id', ondelete='CASCADE'), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_metric_mark_day', 'metric_mark', ['site_id', 'day'])


def downgrade():
    op.drop_index('ix_metric_mark_day', table_name='metric_mark')
    op.drop_table('metric_mark')
    op.drop_table('metric_count')
    op.drop_index('ix_metric_day_valid_until', table_name='metric_day')
    op.drop_table('metric_day')
    with op.batch_alter_table('incident') as batch:
        batch.drop_index('ix_incident_resolve_seconds')
        batch.drop_index('ix_incident_ack_seconds')
        batch.drop_column('resolve_seconds')
        batch.drop_column('ack_seconds')
