"""The inspectors' side (thanh tra): integrity signals (Q5/Q6, conduct complaints), read-only."""

from survey_app.inspector.views import bp

__all__ = ["bp"]
