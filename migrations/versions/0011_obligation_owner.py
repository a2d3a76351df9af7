"""an owner per regulatory obligation

Revision ID: 0011_obligation_owner
Revises: 0010_comms
Create Date: 2026-11-22 20:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0011_obligation_owner'
down_revision = '0010_comms'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('obligation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_obligation_owner_id_user'), 'user', ['owner_id'], ['id'])


def downgrade():
    with op.batch_alter_table('obligation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_obligation_owner_id_user'), type_='foreignkey')
        batch_op.drop_column('owner_id')
