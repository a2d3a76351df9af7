"""Admin pages: users, sites, the organisation profile and API tokens."""
from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth.accounts import create_user, new_password
from ..auth.models import ROLE_LABELS, ROLES, ApiToken, User
from ..auth.security import admin_required
from ..auth.sessions import end_sessions
from ..common.errors import Invalid
from ..common.schemas import Form, declare
from ..comms.rules import parse_emails
from ..database import utcnow
from ..extensions import db
from ..organisation.hours import set_hours
from ..organisation.models import PROFILE_LABELS, Organisation, Site, SiteHours
from ..organisation.rules import parse_month, validate_hours, validate_profile, validate_site
from ..rules.answers import JURISDICTIONS
from .schemas import HoursForm, InviteForm, OrganisationForm, SiteChangeForm, SiteForm, TokenForm, UserChangeForm

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _sites() -> list[Site]:
    return list(db.session.scalars(db.select(Site).order_by(Site.name)))


def _site_by_id(site_id: int | None) -> Site | None:
    if site_id is None:
        return None
    site = db.session.get(Site, site_id)
    if site is None:
        raise Invalid({"home_site": "choose one of the sites"})
    return site


def _users_page(errors: dict | None = None, values: dict | None = None, new_login: tuple | None = None,
                status: int = 200):
    users = db.session.scalars(db.select(User).order_by(User.active.desc(), User.name))
    return render_template("admin/users.html", users=list(users), sites=_sites(), roles=ROLE_LABELS,
                           errors=errors or {}, values=values or {}, new_login=new_login), status


@bp.get("/users")
@admin_required
def users():
    return _users_page()


@bp.post("/users")
@admin_required
@declare(form=InviteForm)
def invite_user(form: InviteForm):
    """Add a user with a one-time password that the admin passes on."""
    values = {"name": form.name, "email": form.email, "role": form.role,
              "home_site": "" if form.home_site is None else str(form.home_site)}
    errors = {}
    email = User.normalise_email(form.email)
    if "@" not in email or len(email) > 254:
        errors["email"] = "Enter an email address"
    elif User.by_email(email):
        errors["email"] = "Someone already has this email"
    if not form.name:
        errors["name"] = "Enter a name"
    elif len(form.name) > 200:
        errors["name"] = f"Use at most 200 characters (this has {len(form.name)})"
    if form.role not in ROLES:
        errors["role"] = "Choose a role"
    try:
        site = _site_by_id(form.home_site)
    except Invalid as invalid:
        errors.update(invalid.fields)
    if errors:
        return _users_page(errors, values, status=422)
    user, password = create_user(email, form.role, site, name=form.name)
    db.session.commit()
    return _users_page(new_login=(user.email, password))


@bp.post("/users/<int:user_id>")
@admin_required
@declare(form=UserChangeForm)
def update_user(user_id: int, form: UserChangeForm):
    """Change a user's role or home site, or deactivate / reactivate them."""
    user = db.session.get(User, user_id) or abort(404)
    sent = form.model_fields_set
    if user.id == current_user.id and (form.active == "0" or ("role" in sent and form.role != "admin")):
        return _users_page({"": "You cannot remove your own admin access or deactivate yourself."},
                           status=422)
    try:
        if "role" in sent:
            if form.role not in ROLES:
                raise Invalid({"role": "Choose a role"})
            user.role = form.role
        if "home_site" in sent:
            user.home_site = _site_by_id(form.home_site)
        if form.active is not None:
            user.active = form.active == "1"
            if not user.active:
                end_sessions(user, utcnow())  # signed out everywhere at once, not at their next request
    except Invalid as invalid:
        db.session.rollback()
        return _users_page(invalid.fields, status=422)
    db.session.commit()
    flash(f"Saved {user.name}.")
    return redirect(url_for("admin.users"), code=303)


@bp.post("/users/<int:user_id>/reset-password")
@admin_required
@declare(form=Form)
def reset_password(user_id: int, form: Form):
    """Give a user a new one-time password, shown once to the admin."""
    user = db.session.get(User, user_id) or abort(404)
    password = new_password()
    user.set_password(password)
    end_sessions(user, utcnow())  # whoever knew the old password is signed out too
    db.session.commit()
    return _users_page(new_login=(user.email, password))


def _sites_page(errors=None, values=None, status=200):
    return render_template("admin/sites.html", sites=_sites(), jurisdictions=JURISDICTIONS,
                           errors=errors or {}, values=values or {}), status


@bp.get("/sites")
@admin_required
def sites():
    return _sites_page()


@bp.post("/sites")
@admin_required
@declare(form=SiteForm)
def create_site(form: SiteForm):
    values = form.model_dump()
    try:
        clean = validate_site(values, set(db.session.scalars(db.select(Site.code))))
    except Invalid as invalid:
        return _sites_page(invalid.fields, values, invalid.status)
    db.session.add(Site(**clean))
    db.session.commit()
    flash(f"Added site {clean['code']}.")
    return redirect(url_for("admin.sites"), code=303)


@bp.post("/sites/<int:site_id>")
@admin_required
@declare(form=SiteChangeForm)
def update_site(site_id: int, form: SiteChangeForm):
    site = db.session.get(Site, site_id) or abort(404)
    values = form.model_dump(exclude_unset=True)  # only the fields sent change
    stakeholders = values.pop("stakeholders", None)
    try:
        clean = validate_site(values, set(), partial=True)
        if stakeholders is not None:
            try:
                clean["stakeholders"] = parse_emails(stakeholders) or None
            except ValueError as problem:
                raise Invalid({"stakeholders": str(problem)}, 422) from None
    except Invalid as invalid:
        return _sites_page(invalid.fields, status=invalid.status)
    for key, value in clean.items():
        setattr(site, key, value)
    db.session.commit()
    flash(f"Saved site {site.code}.")
    return redirect(url_for("admin.sites"), code=303)


@bp.route("/organisation", methods=["GET", "POST"])
@admin_required
@declare(form=OrganisationForm)
def organisation(form: OrganisationForm):
    org = Organisation.current()
    errors = {}
    if request.method == "POST":
        data = {"name": form.name}
        data.update({flag: getattr(form, flag) == "on" for flag in PROFILE_LABELS})
        try:
            for key, value in validate_profile(data).items():
                setattr(org, key, value)
        except Invalid as invalid:
            errors = invalid.fields
        else:
            db.session.commit()
            flash("Organisation profile saved.")
            return redirect(url_for("admin.organisation"), code=303)
    return render_template("admin/organisation.html", org=org, flags=PROFILE_LABELS,
                           errors=errors), 422 if errors else 200


def _tokens_page(new_secret: str | None = None, errors=None, status=200):
    tokens = db.session.scalars(db.select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.id))
    users = db.session.scalars(db.select(User).where(User.active.is_(True)).order_by(User.name))
    return render_template("admin/tokens.html", tokens=list(tokens), users=list(users),
                           new_secret=new_secret, errors=errors or {}), status


@bp.get("/tokens")
@admin_required
def tokens():
    return _tokens_page()


@bp.post("/tokens")
@admin_required
@declare(form=TokenForm)
def create_token(form: TokenForm):
    user = db.session.get(User, form.user_id) if form.user_id is not None else None
    name = form.name
    errors = {}
    if user is None or not user.active:
        errors["user_id"] = "Choose an active user for the token to act as"
    if not name or len(name) > 100:
        errors["name"] = "Name the token (up to 100 characters), e.g. what uses it"
    if errors:
        return _tokens_page(errors=errors, status=422)
    _token, secret = ApiToken.issue(user, name)
    db.session.commit()
    return _tokens_page(new_secret=secret)


@bp.post("/tokens/<int:token_id>/revoke")
@admin_required
@declare(form=Form)
def revoke_token(token_id: int, form: Form):
    token = db.session.get(ApiToken, token_id) or abort(404)
    token.revoke()
    db.session.commit()
    flash(f"Revoked token “{token.name}”.")
    return redirect(url_for("admin.tokens"), code=303)


def _hours_page(errors=None, values=None, status=200):
    rows = db.session.execute(db.select(SiteHours, Site).join(Site, Site.id == SiteHours.site_id)
                              .order_by(SiteHours.month.desc(), Site.name).limit(120)).all()
    return render_template("admin/hours.html", rows=rows, sites=_sites(), errors=errors or {},
                           values=values or {}), status


@bp.get("/hours")
@admin_required
def hours():
    return _hours_page()


@bp.post("/hours")
@admin_required
@declare(form=HoursForm)
def save_hours(form: HoursForm):
    """Hours worked at a site in a month (what LTIFR and TRIFR are counted against)."""
    values = form.model_dump()
    errors = {}
    site = db.session.scalar(db.select(Site).filter_by(code=form.site))
    if site is None:
        errors["site"] = "Choose a site"
    try:
        month = parse_month(form.month)
    except ValueError as problem:
        errors["month"] = f"The month {problem}"
    typed = form.hours
    try:
        # Commas only as thousands separators (12,345.5); a decimal comma (12345,5) is refused, not misread.
        if not re.fullmatch(r"[0-9]+(\.[0-9]+)?|[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?", typed):
            raise ValueError("must be a number, such as 12345.5 (a point for decimals)")
        hours = validate_hours(float(typed.replace(",", "")))
    except ValueError as problem:
        errors["hours"] = f"Hours {problem}"
    if errors:
        return _hours_page(errors, values, 400)
    set_hours(site, month, hours)
    db.session.commit()
    flash(f"{site.name}, {month:%B %Y}: {hours:,.1f} hours worked.")
    return redirect(url_for("admin.hours"), code=303)
