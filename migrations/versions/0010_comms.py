"""major incidents and status updates

Revision ID: 0010_comms
Revises: 0009_sla
Create Date: 2026-11-22 19:04:32.311848

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010_comms'
down_revision = '0009_sla'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('status_update',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('audience', sa.String(length=10), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('email_state', sa.String(length=10), nullable=False),
    sa.Column('email_attempts', sa.Integer(), nullable=False),
    sa.Column('email_next_at', sa.DateTime(), nullable=True),
    sa.Column('email_error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_status_update_author_id_user')),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_status_update_incident_id_incident'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_update'))
    )
    with op.batch_alter_table('status_update', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_update_email_next_at'), ['email_next_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_status_update_incident_id'), ['incident_id'], unique=False)

    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('major_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('next_update_due_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('update_reminded_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_incident_next_update_due_at'), ['next_update_due_at'], unique=False)

    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stakeholders', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_column('stakeholders')

    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_next_update_due_at'))
        batch_op.drop_column('update_reminded_at')
        batch_op.drop_column('next_update_due_at')
        batch_op.drop_column('major_at')

    with op.batch_alter_table('status_update', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_update_incident_id'))
        batch_op.drop_index(batch_op.f('ix_status_update_email_next_at'))

    op.drop_table('status_update')
