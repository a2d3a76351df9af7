"""when the worker next looks at an incident's SLA clocks and at an obligation's deadline

Revision ID: 0012_clock_check
Revises: 0011_obligation_owner
Create Date: 2026-11-22 21:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0012_clock_check'
down_revision = '0011_obligation_owner'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('clock_check_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('clock_generation', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index(batch_op.f('ix_incident_clock_check_at'), ['clock_check_at'], unique=False)

    with op.batch_alter_table('obligation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('check_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_obligation_check_at'), ['check_at'], unique=False)


def downgrade():
    with op.batch_alter_table('obligation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_obligation_check_at'))
        batch_op.drop_column('check_at')

    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_clock_check_at'))
        batch_op.drop_column('clock_generation')
        batch_op.drop_column('clock_check_at')
