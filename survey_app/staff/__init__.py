"""The staff's side: today's feedback for the units and counters they may see."""

from survey_app.staff.views import bp

__all__ = ["bp"]
