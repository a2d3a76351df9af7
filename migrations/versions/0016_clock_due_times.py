"""the SLA clocks' due times on each incident (the metrics count met and breached in SQL), an index on
the report time (periods), and one of the exports on the timelines (a CSV logs each incident once a day)

Revision ID: 0016_clock_due_times
Revises: 0015_site_hours
Create Date: 2026-11-26 20:10:00

Existing incidents get their due times when a worker next starts (sla.service.fill_due_times): they need
the sites' business-day calendars, which SQL does not have.
"""
import sqlalchemy as sa
from alembic import op

revision = '0016_clock_due_times'
down_revision = '0015_site_hours'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('incident') as batch:
        batch.add_column(sa.Column('response_due_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('resolution_due_at', sa.DateTime(), nullable=True))
        batch.create_index('ix_incident_reported_at', ['reported_at'])
        unknown = sa.text('response_due_at IS NULL OR resolution_due_at IS NULL')
        batch.create_index('ix_incident_due_unknown', ['id'], postgresql_where=unknown, sqlite_where=unknown)
    export = sa.text("what = 'export'")
    op.create_index('ix_timeline_entry_export', 'timeline_entry', ['incident_id', 'actor_id', 'at'],
                    postgresql_where=export, sqlite_where=export)


def downgrade():
    op.drop_index('ix_timeline_entry_export', table_name='timeline_entry')
    with op.batch_alter_table('incident') as batch:
        batch.drop_index('ix_incident_due_unknown')
        batch.drop_index('ix_incident_reported_at')
        batch.drop_column('resolution_due_at')
        batch.drop_column('response_due_at')
