"""Report packs in the web app (issue 5, points 3–4): ask, watch the progress, download."""

from survey_app.reports_web.views import bp

__all__ = ["bp"]
