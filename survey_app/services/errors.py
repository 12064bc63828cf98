"""Exceptions the web views and the ``sipas`` commands catch, kept apart from the numeric
services that raise them, so that importing a view does not load numpy and scipy (every
`sipas` command imports the views).
"""

from flask_babel import lazy_gettext as _l


class InputError(ValueError):
    """What a person asked for or gave cannot be used; the message says why, in words for
    that person. Services' own errors derive from it, so that the edge answers all of them
    the same way: a view with a 4xx page, a ``sipas`` command with one line on standard error
    and exit status 2 (``survey_app/cli.py``)."""


class OverviewError(InputError):
    """A request parameter that cannot be used; the message says which (answered with 400)."""


# The input rule (services/text.py) refuses NUL and lone surrogates where the sender is
# answered directly; every page, form and API field says it with this one message.
UNSTORABLE_TEXT = _l(
    "Nội dung có ký tự không hợp lệ (ký tự NUL hoặc mã Unicode hỏng). Vui lòng gõ lại nội dung."
)


class PeriodError(OverviewError):
    """A picked period that cannot be used: the message is for the user (already in their
    language) and ``choice`` holds the picker's values as typed, so the page can show them
    again (answered with 400 and the form)."""

    def __init__(self, message: str, choice: object = None) -> None:
        super().__init__(message)
        self.choice = choice
