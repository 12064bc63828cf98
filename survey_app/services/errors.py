"""Exceptions the web views catch, kept apart from the numeric services that raise them, so
that importing a view does not load numpy and scipy (every `sipas` command imports the views).
"""


class OverviewError(ValueError):
    """A request parameter that cannot be used; the message says which (answered with 400)."""


class PeriodError(OverviewError):
    """A picked period that cannot be used: the message is for the user (already in their
    language) and ``choice`` holds the picker's values as typed, so the page can show them
    again (answered with 400 and the form)."""

    def __init__(self, message: str, choice: object = None) -> None:
        super().__init__(message)
        self.choice = choice
