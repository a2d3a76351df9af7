"""Command-line tools: seed-demo, create-user, api-token."""
from __future__ import annotations

from datetime import date, time
from pathlib import Path

import click
from flask import Flask, current_app

from .auth.accounts import create_user
from .auth.models import ROLES, ApiToken, User
from .auth.passwords import password_problem
from .escalation.models import (
    EscalationPolicy,
    PolicyChoice,
    PolicyLevel,
    Schedule,
    ScheduleMember,
    Team,
    TeamMember,
)
from .evidence.models import Evidence
from .evidence.service import verify_all
from .extensions import db
from .notify.worker import run_forever
from .organisation.models import Organisation, Site

DEMO_SITES = (
    ("SYD-DEPOT", "Sydney depot", "AU-NSW", "Australia/Sydney"),
    ("MAN-PLANT", "Manchester plant", "UK", "Europe/London"),
)
DEMO_USERS = (
    ("reporter@demo.example", "Riley Reporter", "reporter", "SYD-DEPOT"),
    ("responder@demo.example", "Rowan Responder", "responder", "SYD-DEPOT"),
    ("supervisor@demo.example", "Sam Supervisor", "supervisor", "SYD-DEPOT"),
    ("admin@demo.example", "Alex Admin", "admin", "MAN-PLANT"),
)


def seed_demo() -> list[tuple[str, str, str]]:
    """Create the demo organisation if the database is empty; return (email, password, role) rows."""
    logins_file = Path(current_app.instance_path) / "demo-logins.txt"
    if db.session.scalar(db.select(User).limit(1)) is not None:
        if logins_file.exists():
            return [tuple(line.split("  ")) for line in logins_file.read_text().splitlines() if line]
        return []
    org = Organisation.current()
    org.name = "Demo Mining & Utilities"
    org.privacy_act_covered = True
    org.gdpr_controller = True
    sites = {code: Site(code=code, name=name, jurisdiction=j, timezone=tz) for code, name, j, tz in DEMO_SITES}
    db.session.add_all(sites.values())
    rows = []
    for email, name, role, site in DEMO_USERS:
        _user, password = create_user(email, role, sites[site], name=name)
        rows.append((email, password, role))
    db.session.flush()
    _seed_escalation(sites, {role: db.session.scalar(db.select(User).filter_by(role=role)) for role in ROLES})
    db.session.commit()
    logins_file.write_text("".join(f"{e}  {p}  {r}\n" for e, p, r in rows))
    logins_file.chmod(0o600)
    return rows


def _seed_escalation(sites: dict[str, Site], people: dict[str, User]) -> None:
    """Sensible demo policies: P1 pages on-call at once, the supervisor after 5 min, the admin
    (standing in for the safety manager) after 15; P2 the on-call, then the supervisor after 15; the
    rest, the on-call person, twice."""
    team = Team(name="Site response", members=[TeamMember(user_id=people[r].id) for r in ("responder", "supervisor")])
    db.session.add(team)
    schedule = Schedule(name="Responders", timezone=sites["SYD-DEPOT"].timezone, period="weekly",
                        handoff=time(8, 0), first_day=date(2026, 1, 5), team=team)
    schedule.members = [ScheduleMember(position=0, user_id=people["responder"].id)]
    db.session.add(schedule)
    db.session.flush()
    on_call = {"kind": "schedule", "ref": schedule.id}
    plans = (
        ("P1 critical", 0, ["P1"], [(5, [on_call]), (10, [{"kind": "user", "ref": people["supervisor"].id}]),
                                    (15, [{"kind": "user", "ref": people["admin"].id}])]),
        ("P2 high", 0, ["P2"], [(15, [on_call]), (30, [{"kind": "user", "ref": people["supervisor"].id}])]),
        ("Everything else", 1, None, [(60, [on_call])]),
    )
    for position, (name, repeats, severities, levels) in enumerate(plans):
        policy = EscalationPolicy(name=name, repeats=repeats, team=team)
        policy.levels = [PolicyLevel(position=i, delay_minutes=delay, targets=targets)
                         for i, (delay, targets) in enumerate(levels)]
        db.session.add(policy)
        db.session.flush()
        db.session.add(PolicyChoice(position=position, policy_id=policy.id, severities=severities))


def init_app(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Create the demo organisation (only if the database is empty) and print its logins."""
        rows = seed_demo()
        if not rows:
            click.echo("The database already has users; the demo logins are not known.")
        for email, password, role in rows:
            click.echo(f"{email}  {password}  {role}")

    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--role", type=click.Choice(ROLES), required=True)
    @click.option("--site", "site_code", help="Home site code")
    @click.option("--name", help="Display name")
    @click.option("--password", help="Password (generated when not given)")
    def create_user_command(email, role, site_code, name, password):
        """Add a user and print the password."""
        if User.by_email(email):
            raise click.ClickException(f"a user with email {email} already exists")
        site = None
        if site_code:
            site = db.session.scalar(db.select(Site).filter_by(code=site_code))
            if site is None:
                raise click.ClickException(f"no site with code {site_code}")
        if password and (problem := password_problem(password, email, name or email.split("@")[0],
                                                     current_app.config["PASSWORD_MIN_LENGTH"])):
            raise click.ClickException(f"that password will not do: {problem}")
        _user, password = create_user(email, role, site, name=name, password=password)
        db.session.commit()
        click.echo(f"created {User.normalise_email(email)} ({role})")
        click.echo(f"password: {password}")

    @app.cli.command("worker")
    @click.option("--interval", type=float, default=None, help="Seconds between passes (default: config)")
    @click.option("--once", is_flag=True, help="Run one pass and exit")
    def worker_command(interval, once):
        """Run the worker: every job the features registered (escalations, deadlines, clocks, reminders,
        deliveries), each when it is due."""
        run_forever(current_app._get_current_object(),
                    interval or current_app.config["WORKER_INTERVAL_SECONDS"], once=once,
                    log=lambda line: click.echo(line, err=True))

    @app.cli.command("verify-evidence")
    def verify_evidence_command():
        """Recompute the SHA-256 of every stored original and report any that is missing or changed."""
        problems = verify_all()
        total = db.session.scalar(db.select(db.func.count(Evidence.id)))
        for line in problems:
            click.echo(line)
        click.echo(f"{total} originals checked, {len(problems)} problem{'s' if len(problems) != 1 else ''}")
        if problems:
            raise SystemExit(1)

    token_group = click.Group("api-token", help="Create, list and revoke API tokens.")
    app.cli.add_command(token_group)

    @token_group.command("create")
    @click.argument("email")
    @click.option("--name", default="API token", help="What the token is for")
    def token_create(email, name):
        """Create a token acting as EMAIL; the token is printed on the last line, once."""
        user = User.by_email(email)
        if user is None or not user.active:
            raise click.ClickException(f"no active user with email {email}")
        token, secret = ApiToken.issue(user, name)
        db.session.commit()
        click.echo(f"token {token.id} '{name}' for {user.email} ({user.role}); it is shown only now:")
        click.echo(secret)

    @token_group.command("list")
    def token_list():
        """List tokens (never their secrets)."""
        for token in db.session.scalars(db.select(ApiToken).order_by(ApiToken.id)):
            state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            click.echo(f"{token.id}\t{token.prefix}…\t{token.user.email}\t{token.name}\t{state}\tlast used {used}")

    @token_group.command("revoke")
    @click.argument("token_id", type=int)
    def token_revoke(token_id):
        """Revoke a token by its id."""
        token = db.session.get(ApiToken, token_id)
        if token is None:
            raise click.ClickException(f"no token {token_id}")
        token.revoke()
        db.session.commit()
        click.echo(f"revoked token {token_id}")
