"""Configuration: defaults, instance/config.py, environment, and a generated SECRET_KEY."""
import os
import secrets
from pathlib import Path

from flask import Flask


def env_flag(name: str, default: bool) -> bool:
    """Read a 1/0 (true/false) flag from the environment."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(instance: Path) -> str:
    """Return the SECRET_KEY kept in instance/, creating it on first run."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _loopback_targets() -> bool:
    """ALLOW_LOOPBACK_TARGETS, or the older PUSH_ALLOW_LOOPBACK_HTTP when only that is set; off by default."""
    if os.environ.get("ALLOW_LOOPBACK_TARGETS", "") == "" and os.environ.get("PUSH_ALLOW_LOOPBACK_HTTP", "") != "":
        return env_flag("PUSH_ALLOW_LOOPBACK_HTTP", False)
    return env_flag("ALLOW_LOOPBACK_TARGETS", False)


def _legacy_loopback_name(app: Flask, overrides: dict | None) -> None:
    """PUSH_ALLOW_LOOPBACK_HTTP in instance/config.py (or given to the factory) keeps working, unless
    ALLOW_LOOPBACK_TARGETS is set as well."""
    given = {**app.config, **(overrides or {})}
    explicit = os.environ.get("ALLOW_LOOPBACK_TARGETS", "") != "" or "ALLOW_LOOPBACK_TARGETS" in (overrides or {})
    if "PUSH_ALLOW_LOOPBACK_HTTP" in given and not explicit:
        app.config["ALLOW_LOOPBACK_TARGETS"] = bool(given["PUSH_ALLOW_LOOPBACK_HTTP"])


def _database_url(instance: Path) -> str:
    """DATABASE_URL if given (PostgreSQL), else SQLite in instance/."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{instance / 'incidents.sqlite3'}"
    # Heroku-style URLs and plain postgresql:// both mean psycopg 3 here.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def configure(app: Flask, overrides: dict | None) -> None:
    """Fill app.config in order: defaults, instance/config.py, environment, overrides."""
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    development = env_flag("DEVELOPMENT", False)
    app.config.from_mapping(
        DEVELOPMENT=development,  # a developer's machine (make run): the mailbox inside the app, localhost contacts
        DEV_MAILBOX=env_flag("DEV_MAILBOX", development),  # keep emails in the app instead of sending them
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        SESSION_COOKIE_SECURE=env_flag("SESSION_COOKIE_SECURE", True),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=env_flag("SESSION_COOKIE_SECURE", True),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=60 * 60 * 12,  # sliding: each request renews it
        SESSION_ABSOLUTE_HOURS=int(os.environ.get("SESSION_ABSOLUTE_HOURS", str(7 * 24))),  # however busy
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        MAX_CONTENT_LENGTH=1024 * 1024,
        RATELIMIT_STORAGE_URI=os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        LOGIN_RATE_LIMIT=os.environ.get("LOGIN_RATE_LIMIT", "30 per minute;300 per hour"),  # per address
        LOGIN_ACCOUNT_RATE_LIMIT=os.environ.get("LOGIN_ACCOUNT_RATE_LIMIT", "5 per minute;20 per hour"),
        QUEUE_POLL_SECONDS=int(os.environ.get("QUEUE_POLL_SECONDS", "10")),
        TRUSTED_PROXIES=int(os.environ.get("TRUSTED_PROXIES", "0")),
        PASSWORD_MIN_LENGTH=10,
        REPAGE_AFTER_MINUTES=int(os.environ.get("REPAGE_AFTER_MINUTES", "30")),
        WORKER_STALE_SECONDS=int(os.environ.get("WORKER_STALE_SECONDS", "30")),
        WORKER_INTERVAL_SECONDS=float(os.environ.get("WORKER_INTERVAL_SECONDS", "1")),
        MAIL_SERVER=os.environ.get("MAIL_SERVER", ""),
        MAIL_PORT=int(os.environ.get("MAIL_PORT", "25")),
        MAIL_USE_TLS=env_flag("MAIL_USE_TLS", False),
        MAIL_USERNAME=os.environ.get("MAIL_USERNAME", ""),
        MAIL_PASSWORD=os.environ.get("MAIL_PASSWORD", ""),
        MAIL_FROM=os.environ.get("MAIL_FROM", "Field Incidents <alerts@localhost>"),
        MAIL_MESSAGE_DOMAIN=os.environ.get("MAIL_MESSAGE_DOMAIN", ""),  # empty: the host of PUBLIC_URL
        PUBLIC_URL=os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000"),
        PAGE_LEASE_SECONDS=int(os.environ.get("PAGE_LEASE_SECONDS", "120")),
        DELIVERY_THREADS=max(1, int(os.environ.get("DELIVERY_THREADS", "8"))),
        VAPID_PRIVATE_KEY=os.environ.get("VAPID_PRIVATE_KEY", ""),
        VAPID_SUBJECT=os.environ.get("VAPID_SUBJECT", ""),
        ALLOW_LOOPBACK_TARGETS=_loopback_targets(),
        PUSH_TTL_SECONDS=int(os.environ.get("PUSH_TTL_SECONDS", "3600")),
        PUSH_TIMEOUT_SECONDS=float(os.environ.get("PUSH_TIMEOUT_SECONDS", "10")),
        PUSH_FALLBACK_SECONDS=int(os.environ.get("PUSH_FALLBACK_SECONDS", "60")),
        OBLIGATION_NEARLY_DUE_FRACTION=float(os.environ.get("OBLIGATION_NEARLY_DUE_FRACTION", "0.25")),
        ACK_TOKEN_MINUTES=int(os.environ.get("ACK_TOKEN_MINUTES", "720")),
        SHELL_VERSION_SALT=os.environ.get("SHELL_VERSION_SALT", ""),
        API_PAGE_SIZE=50,
    )
    app.config.from_pyfile("config.py", silent=True)
    _legacy_loopback_name(app, overrides)
    if os.environ.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    if overrides:
        app.config.update(overrides)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", _database_url(instance))
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(instance)
