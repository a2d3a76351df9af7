"""Logging in and out."""
import secrets
from functools import cache

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.security import check_password_hash, generate_password_hash

from ..common.schemas import Form, declare
from ..database import utcnow
from ..extensions import db, limiter
from .models import User
from .passwords import password_problem
from .schemas import LoginForm, LoginQuery, PasswordForm
from .security import any_user_required, public, safe_next
from .sessions import end_sessions, known_device, remember_device, sign_in, sign_out, this_session

bp = Blueprint("auth", __name__)


def home_for(user: User) -> str:
    """Where each role starts: reporters at the report form, everyone else at the queue."""
    return url_for("incidents.queue") if user.is_staff else url_for("reporting.new")


def _address_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _account() -> str:
    """Logins are counted per account too (across processes when RATELIMIT_STORAGE_URI is Redis), every
    attempt before its password is checked (so guesses sent at once are all counted), so guessing one
    person's password is slow from any number of addresses, while the per-address limit can stay loose
    enough that a site's shared Wi-Fi or a proxy locks no bystander out."""
    return "account:" + User.normalise_email(request.form.get("email", ""))[:254]


def _own_device() -> bool:
    """A browser the person has signed in on before is not held to the per-account limit: nobody can lock
    a responder out of their own phone by guessing at their account."""
    return known_device(User.by_email(request.form.get("email", "")))


def _login_failed(response) -> bool:
    """Only failed attempts count towards the limit."""
    return request.method == "POST" and response.status_code != 302


@cache
def _stand_in_hash() -> str:
    """A hash no password matches, made like every user's: checked when no account has the email."""
    return generate_password_hash(secrets.token_urlsafe(32))


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_address_limit, methods=["POST"], deduct_when=_login_failed)
@limiter.limit(_account_limit, key_func=_account, methods=["POST"], exempt_when=_own_device)
@declare(query=LoginQuery, form=LoginForm)
def login(query: LoginQuery, form: LoginForm):
    """Email and password; a wrong pair gets one message that does not say which was wrong, after the same
    work whether or not the email has an account (so no timing tells which emails do). The limits above
    count a refused form too (it is not a login)."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    email = form.email
    if request.method == "POST":
        user = User.by_email(email)
        password = form.password
        matches = user.check_password(password) if user else check_password_hash(_stand_in_hash(), password)
        if user and user.active and matches:
            sign_in(user, utcnow())
            return remember_device(redirect(safe_next(query.next) or home_for(user)), user)
        return render_template("auth/login.html", email=email,
                               error="That email and password do not match an active account."), 401
    return render_template("auth/login.html", email=email, error=None)


@bp.post("/logout")
@any_user_required
@declare(form=Form)
def logout(form: Form):
    sign_out(current_user, utcnow())
    flash("You are logged out.")
    return redirect(url_for("auth.login"))


@bp.post("/account/sessions/end")
@any_user_required
@declare(form=Form)
def log_out_everywhere(form: Form):
    """End every session of the person, this one too: a lost phone, a shared tablet left signed in."""
    now = utcnow()
    end_sessions(current_user, now)
    db.session.commit()
    sign_out(current_user, now)
    flash("You are logged out everywhere: every phone, tablet and browser must sign in again.")
    return redirect(url_for("auth.login"), code=303)


@bp.get("/")
@public
def index():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect(url_for("auth.login"))


def _own_account() -> str:
    return f"password:{current_user.id}"


@bp.route("/account/password", methods=["GET", "POST"])
@any_user_required
@limiter.limit(_account_limit, key_func=_own_account, methods=["POST"])  # a tablet left signed in: no guessing
@declare(form=PasswordForm)
def change_password(form: PasswordForm):
    """Change your own password (the first one comes from an admin)."""
    errors = {}
    if request.method == "POST":
        minimum = current_app.config["PASSWORD_MIN_LENGTH"]
        if not current_user.check_password(form.current):
            errors["current"] = "That is not your current password"
        new = form.new
        if problem := password_problem(new, current_user.email, current_user.name, minimum):
            errors["new"] = problem
        elif new != form.confirm:
            errors["confirm"] = "The two new passwords differ"
        if not errors:
            current_user.set_password(new)
            ended = end_sessions(current_user, utcnow(), keep=this_session(current_user))
            db.session.commit()
            flash("Your password is changed." + (f" Your {ended} other signed-in session{'s' if ended != 1 else ''} "
                                                 "ended." if ended else ""))
            return redirect(home_for(current_user), code=303)
    return render_template("auth/password.html", errors=errors), 422 if errors else 200
