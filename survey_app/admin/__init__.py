"""Administration (quản trị): counters and their QR tokens, printable cards, the audit log."""

from .views import bp

__all__ = ["bp"]
