"""Exceptions the web views catch, kept apart from the numeric services that raise them, so
that importing a view does not load numpy and scipy (every `sipas` command imports the views).
"""

from flask_babel import lazy_gettext as _l


class OverviewError(ValueError):
    """A request parameter that cannot be used; the message says which (answered with 400)."""


# The input rule (services/text.py) refuses NUL and lone surrogates where the sender is
# answered directly; every page, form and API field says it with this one message.
UNSTORABLE_TEXT = _l(
    "Nội dung có ký tự không hợp lệ (ký tự NUL hoặc mã Unicode hỏng). Vui lòng gõ lại nội dung."
)
