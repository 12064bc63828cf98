"""The counter tablet (issue 15): the kiosk page, its service worker and the small JSON
endpoints a tablet calls with its device credential (``Authorization: Bearer``)."""

from survey_app.kiosk.views import bp

__all__ = ["bp"]
