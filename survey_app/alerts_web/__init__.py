"""``/canh-bao``: alerts (everyone signed in, each their own), rules, webhooks and the
delivery log (``MANAGE_ALERTS``: unit heads for their units, the admin)."""

from survey_app.alerts_web.views import bp

__all__ = ["bp"]
