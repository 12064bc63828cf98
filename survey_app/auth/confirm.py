"""Ask before a destructive or irreversible step — without JavaScript.

A view of such a step (a POST) first asks :func:`confirmed`; when the form did not carry
``confirm=1`` it answers :func:`ask`'s page instead and changes nothing.  That page names the
thing and the consequence, and its form posts the same fields again to the same address with
``confirm=1`` and a fresh CSRF token; "Huỷ" goes back.  So a click that slipped, a replayed
form or a script that forgot the field never rotates a QR code, disables an account or marks
a complaint.  ``tests/auth/test_confirm.py`` and the browser tests check every such step.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request

FIELD = "confirm"


def confirmed() -> bool:
    """Whether the POST carries the confirmation (``confirm=1``)."""
    return request.form.get(FIELD) == "1"


def ask(*, title: str, thing: str, consequence: str, button: str, back: str) -> tuple[str, int]:
    """The confirmation page (HTTP 200): ``title`` as a question, the ``thing`` acted on, the
    ``consequence``, a ``button`` that confirms and a link ``back`` that cancels."""
    fields: list[tuple[str, Any]] = [
        (key, value)
        for key, value in request.form.items(multi=True)
        if key not in ("csrf_token", FIELD)
    ]
    return render_template(
        "layout/confirm.html",
        title=title,
        thing=thing,
        consequence=consequence,
        button=button,
        back=back,
        action=request.path,
        fields=fields,
    ), 200
