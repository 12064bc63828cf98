"""Administration (quản trị): the unit tree, counters and their QR tokens, printable cards,
procedures (with CSV import), accounts and roles, the holidays, integration keys, the audit log."""

from survey_app.admin import (  # noqa: F401  (their routes join the blueprint)
    accounts,
    holidays,
    keys,
    kiosks,
    procedures,
    units,
)
from survey_app.admin.views import bp

__all__ = ["bp"]
