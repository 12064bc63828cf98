"""Locale choice: Vietnamese by default; ``?lang=en`` switches and is remembered in the session.

The ``sipas`` command speaks by one rule (:func:`cli_locale`): English when the first of
``LC_ALL``, ``LC_MESSAGES`` and ``LANG`` that is set (the order POSIX gives them) starts with
``en``; Vietnamese otherwise. Its messages are the same catalogue's (``_()`` in an application
context, :func:`cli_text` before there is one).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale

from survey_app.services import formatting

LOCALES = ("vi", "en")
TRANSLATIONS = Path(__file__).parent / "translations"
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def cli_locale(environ: Mapping[str, str] | None = None) -> str:
    """The command line's language: ``en`` when the first of ``LC_ALL``, ``LC_MESSAGES``,
    ``LANG`` that is set starts with ``en`` (``en_US.UTF-8``, ``en_GB``, ``en``), else ``vi``
    (also for ``C.UTF-8``, ``POSIX`` or ``vi_VN.UTF-8``)."""
    env = os.environ if environ is None else environ
    for name in LOCALE_VARIABLES:
        value = env.get(name)
        if value:
            return "en" if value.lower().startswith("en") else "vi"
    return "vi"


@cache
def _catalogue(locale: str) -> NullTranslations:
    return Translations.load(str(TRANSLATIONS), [locale])


def cli_text(message: str, **values: Any) -> str:
    """A command-line message before the application exists (start-up errors), in the
    language of :func:`cli_locale`; ``%(name)s`` placeholders as with ``_()``."""
    locale = cli_locale()
    text = message if locale == "vi" else _catalogue(locale).gettext(message)
    return text % values if values else text


def select_locale() -> str:
    if not has_request_context():  # the CLI (report jobs force their own locale)
        return cli_locale()
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
# {{ change|signed }}, {{ n|number }}, {{ hours|decimal }}, {{ at|moment }}, {{ d|day }};
# and {{ comment|masked }} hides phone and identity numbers in what citizens wrote.
FILTERS: dict[str, Callable[..., str]] = {
    "percent": formatting.percent,
    "signed": formatting.signed,
    "number": formatting.number,
    "decimal": formatting.decimal,
    "moment": formatting.moment,
    "clock_time": formatting.clock_time,
    "day": formatting.day,
    "masked": formatting.masked,  # a comment shown to staff: phone and identity numbers hidden
}


def register_filters(app: Flask) -> None:
    """The formatting functions as Jinja filters, in the reader's locale."""
    filters: dict[str, Any] = app.jinja_env.filters
    filters.update(FILTERS)
