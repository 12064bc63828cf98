"""What a report that cannot be made raises, and the gettext marker of its messages."""

from __future__ import annotations

from survey_app.services.errors import InputError


def N_(text: str) -> str:  # noqa: N802 - the gettext marker: extracted, translated on display
    return text


class ReportError(InputError):
    """A report that cannot be made (unknown unit, unit outside the caller's scope…); the
    message is Vietnamese and meant for the user.

    A fixed text is a gettext msgid (marked with :func:`N_`) with ``%(name)s`` placeholders
    filled from ``params``: ``str(error)`` is the Vietnamese text, while ``msgid`` and
    ``params`` let a page show it in the reader's language."""

    def __init__(self, msgid: str, **params: str | int | float) -> None:
        super().__init__(msgid % params if params else msgid)
        self.msgid = msgid
        self.params = params
