"""When a staff session ends — checked on every request by Flask-Login's user loader.

The session is a signed cookie, so ending it means refusing it on the server:

- the account's stamp (:meth:`User.get_id`, checked by :func:`accounts.load_user`) changes on
  a new password, a sign-out, and disabling or enabling the account: every session opened
  before ends, on every device;
- ``SESSION_IDLE_MINUTES`` without a request ends it (the time of the last request is kept
  in the signed cookie, renewed at most once a minute);
- ``SESSION_MAX_HOURS`` after the login it ends, however active.

An ended session is signed out (its login keys are removed; the language stays) and the page
asks to sign in again.
"""

from __future__ import annotations

import time

from flask import current_app, session

from survey_app.models import User
from survey_app.services import accounts

SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"
SEEN_STEP_SECONDS = 60  # the last-request time is written back at most this often
_LOGIN_KEYS = ("_user_id", "_fresh", "_id", SIGNED_IN_AT, SEEN_AT)


def now() -> float:
    """The clock the session times are measured by (a test may move it)."""
    return time.time()


def start() -> None:
    """Call right after ``login_user``: the session's lifetime begins."""
    moment = int(now())
    session[SIGNED_IN_AT] = moment
    session[SEEN_AT] = moment


def end() -> None:
    """Remove the login from the session (the language and CSRF token stay)."""
    for key in _LOGIN_KEYS:
        session.pop(key, None)


def expired(moment: float) -> bool:
    """Whether the session's login is too old or was idle too long at ``moment``."""
    signed_in, seen = session.get(SIGNED_IN_AT), session.get(SEEN_AT)
    if not isinstance(signed_in, int) or not isinstance(seen, int):
        return True  # a session from before these times were kept
    idle = int(current_app.config["SESSION_IDLE_MINUTES"]) * 60
    lifetime = int(current_app.config["SESSION_MAX_HOURS"]) * 3600
    return moment - seen > idle or moment - signed_in > lifetime


def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the account of a session that has not ended, else
    ``None`` (signed out)."""
    moment = now()
    user = None if expired(moment) else accounts.load_user(user_id)
    if user is None:
        end()
        return None
    if moment - int(session[SEEN_AT]) >= SEEN_STEP_SECONDS:
        session[SEEN_AT] = int(moment)
    return user
