"""JSON API for kiosks and one-stop software (``/api/v1``) and the health check."""

from .views import bp

__all__ = ["bp"]
