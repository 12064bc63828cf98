"""Exceptions the web views catch, kept apart from the numeric services that raise them, so
that importing a view does not load numpy and scipy (every `sipas` command imports the views).
"""


class OverviewError(ValueError):
    """A request parameter that cannot be used; the message says which (answered with 400)."""
