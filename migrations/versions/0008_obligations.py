"""regulatory obligations

Revision ID: 0008_obligations
Revises: 0007_teams
Create Date: 2026-11-22 18:39:42.108849

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008_obligations'
down_revision = '0007_teams'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('obligation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('regime', sa.String(length=30), nullable=False),
    sa.Column('step', sa.String(length=30), nullable=False),
    sa.Column('what', sa.String(length=300), nullable=False),
    sa.Column('rule', sa.String(length=300), nullable=False),
    sa.Column('deadline', sa.DateTime(), nullable=True),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('waiting_for', sa.String(length=300), nullable=True),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=15), nullable=False),
    sa.Column('decided_by_rules', sa.Boolean(), nullable=False),
    sa.Column('not_required_reason', sa.String(length=1000), nullable=True),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.Column('reference', sa.String(length=200), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('applies', sa.Boolean(), nullable=False),
    sa.Column('nearly_paged_at', sa.DateTime(), nullable=True),
    sa.Column('overdue_paged_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_obligation_decided_by_id_user')),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_obligation_incident_id_incident'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_obligation')),
    sa.UniqueConstraint('incident_id', 'regime', 'step', name=op.f('uq_obligation_incident_id'))
    )
    with op.batch_alter_table('obligation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_obligation_deadline'), ['deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_obligation_incident_id'), ['incident_id'], unique=False)

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('about', sa.String(length=300), nullable=True))


def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_column('about')

    with op.batch_alter_table('obligation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_obligation_incident_id'))
        batch_op.drop_index(batch_op.f('ix_obligation_deadline'))

    op.drop_table('obligation')
