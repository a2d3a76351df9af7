"""a version on each incident, checked by every change (optimistic locking: of two changes made at once on
the same state the second is refused)

Revision ID: 0019_incident_version
Revises: 0018_login_sessions
Create Date: 2026-11-27 00:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0019_incident_version'
down_revision = '0018_login_sessions'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('incident') as batch:
        batch.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))


def downgrade():
    with op.batch_alter_table('incident') as batch:
        batch.drop_column('version')
