"""Locale choice: Vietnamese by default; ``?lang=en`` switches and is remembered in the session."""

from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_babel import get_locale

LOCALES = ("vi", "en")


def select_locale() -> str:
    if not has_request_context():  # the CLI: messages in the default language
        return str(current_app.config.get("DEFAULT_LOCALE", "vi"))
    wanted = request.args.get("lang") or request.form.get("lang")
    if wanted in LOCALES:
        session["lang"] = wanted
        return wanted
    remembered = session.get("lang")
    if remembered in LOCALES:
        return str(remembered)
    return str(current_app.config.get("DEFAULT_LOCALE", "vi"))


def inject_locale() -> dict[str, str]:
    """Templates get ``locale`` (for ``<html lang>`` and the language switch)."""
    return {"locale": str(get_locale() or "vi")}
