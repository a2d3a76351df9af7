"""What makes a password good enough, in words a person can act on.

At least PASSWORD_MIN_LENGTH (10) characters, not the person's email or name (or built on them), and not
guessable: zxcvbn (Dropbox's estimator, with its lists of common passwords, names and words) must rate it
at least 3 of 4, "safely unguessable" (about 10^8 guesses or more). "aaaaaaaaaa", "password12" and one's
own email all fail, each with the reason.
"""
from __future__ import annotations

import re

from zxcvbn import zxcvbn

GOOD_ENOUGH = 3  # zxcvbn's scores run 0 to 4
LONGEST = 200  # zxcvbn's work grows with length; a longer passphrase adds nothing a person needs


def password_problem(password: str, email: str, name: str, minimum: int) -> str | None:
    """Why `password` will not do for this person, or None."""
    if len(password) < minimum:
        return f"Use at least {minimum} characters"
    if len(password) > LONGEST:
        return f"Use at most {LONGEST} characters"
    lowered = password.casefold()
    own = {part for part in (email.casefold(), email.split("@")[0].casefold(), name.casefold(),
                             *re.split(r"[\s.@_+-]+", f"{email} {name}".casefold())) if len(part) >= 4}
    if any(part in lowered for part in own):
        return "Do not use your email or your name in your password"
    verdict = zxcvbn(password, user_inputs=sorted(own))
    if verdict["score"] < GOOD_ENOUGH:
        why = verdict["feedback"]["warning"] or "This password is easy to guess."
        advice = " ".join(verdict["feedback"]["suggestions"]) or "Add another word or two. Uncommon words are better."
        return f"{why} {advice}"
    return None
