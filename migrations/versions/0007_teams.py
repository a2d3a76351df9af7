"""teams

Revision ID: 0007_teams
Revises: 0006_web_push
Create Date: 2026-11-22 18:15:14.138255

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007_teams'
down_revision = '0006_web_push'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('team',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team')),
    sa.UniqueConstraint('name', name=op.f('uq_team_name'))
    )
    op.create_table('team_member',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_team_member_team_id_team'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_team_member_user_id_user')),
    sa.PrimaryKeyConstraint('team_id', 'user_id', name=op.f('pk_team_member'))
    )
    with op.batch_alter_table('escalation_policy', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_escalation_policy_team_id_team'), 'team', ['team_id'], ['id'],
                                    ondelete='SET NULL')

    with op.batch_alter_table('schedule', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_schedule_team_id_team'), 'team', ['team_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('schedule', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_schedule_team_id_team'), type_='foreignkey')
        batch_op.drop_column('team_id')

    with op.batch_alter_table('escalation_policy', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_escalation_policy_team_id_team'), type_='foreignkey')
        batch_op.drop_column('team_id')

    op.drop_table('team_member')
    op.drop_table('team')
