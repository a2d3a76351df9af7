"""signed-in sessions kept on the server (auth/sessions.py), so logout, a password change or an admin's
reset can end them

Revision ID: 0018_login_sessions
Revises: 0017_metric_days
Create Date: 2026-11-27 00:10:00

Browsers signed in before this upgrade carry no session secret: they are asked to sign in again.
"""
import sqlalchemy as sa
from alembic import op

revision = '0018_login_sessions'
down_revision = '0017_metric_days'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'login_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('user.id', ondelete='CASCADE'), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('seen_at', sa.DateTime(), nullable=False),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('digest'))
    op.create_index('ix_login_session_user_id', 'login_session', ['user_id'])


def downgrade():
    op.drop_index('ix_login_session_user_id', table_name='login_session')
    op.drop_table('login_session')
