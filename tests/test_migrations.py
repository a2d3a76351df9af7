"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from helpers import VAPID_SUBJECT, make_app

from webapp.extensions import db


def test_migrations_match_the_models(database_url, tmp_path):
    """PostgreSQL's test database was built by the migrations; SQLite gets a fresh file built the same way."""
    app = make_app(database_url, str(tmp_path / "instance"))
    with app.app_context():
        if database_url.startswith("sqlite"):
            upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        db.engine.dispose()
    assert diff == []


def test_migrations_upgrade_and_downgrade_on_an_empty_database(tmp_path):
    from webapp import create_app
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite3'}", "SECRET_KEY": "t",
                      "VAPID_SUBJECT": VAPID_SUBJECT},
                     instance_path=str(tmp_path))
    with app.app_context():
        upgrade()
        assert "incident" in sa.inspect(db.engine).get_table_names()
        downgrade(revision="base")
        assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]
        db.engine.dispose()
