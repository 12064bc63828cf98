"""Staff sign-in: login, logout, the forced password change, and the access decorators."""

from survey_app.auth.decorators import staff_required
from survey_app.auth.views import bp

__all__ = ["bp", "staff_required"]
