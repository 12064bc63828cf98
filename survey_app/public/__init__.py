"""The citizen's side: the form a counter's QR code opens, and the thank-you page."""

from .views import bp

__all__ = ["bp"]
