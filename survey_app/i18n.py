"""Locale choice: Vietnamese by default; ``?lang=en`` switches and is remembered in the session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale

from survey_app.services import formatting

LOCALES = ("vi", "en")


def select_locale() -> str:
    if not has_request_context():  # the CLI: messages in the default language
        return str(current_app.config.get("DEFAULT_LOCALE", "vi"))
    # The query string only: reading the form here would parse the body, and a body over the
    # size limit would raise again while its own 413 page is being rendered.
    wanted = request.args.get("lang")
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


# The one way templates write numbers and dates (services/formatting.py): {{ x|percent }},
# {{ change|signed }}, {{ n|number }}, {{ hours|decimal }}, {{ at|moment }}, {{ d|day }}.
FILTERS: dict[str, Callable[..., str]] = {
    "percent": formatting.percent,
    "signed": formatting.signed,
    "number": formatting.number,
    "decimal": formatting.decimal,
    "moment": formatting.moment,
    "clock_time": formatting.clock_time,
    "day": formatting.day,
}


def register_filters(app: Flask) -> None:
    """The formatting functions as Jinja filters, in the reader's locale."""
    filters: dict[str, Any] = app.jinja_env.filters
    filters.update(FILTERS)
