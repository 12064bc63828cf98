"""Staff sign-in: login, logout, the forced password change, and the access decorators."""

from .decorators import staff_required
from .views import bp

__all__ = ["bp", "staff_required"]
