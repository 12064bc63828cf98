"""The citizen's side: the form a counter's QR code opens, and the thank-you page."""

from survey_app.public.views import bp

__all__ = ["bp"]
