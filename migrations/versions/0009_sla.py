"""SLA targets and clock alerts

Revision ID: 0009_sla
Revises: 0008_obligations
Create Date: 2026-11-22 19:00:11.373380

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009_sla'
down_revision = '0008_obligations'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('clock_alert',
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('clock', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('severity', sa.String(length=2), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_clock_alert_incident_id_incident'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('incident_id', 'clock', 'kind', 'severity', name=op.f('pk_clock_alert'))
    )
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sla_targets', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('sla_targets')

    op.drop_table('clock_alert')
