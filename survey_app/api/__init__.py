"""JSON API for kiosks and one-stop software (``/api/v1``) and the health check."""

from survey_app.api import dossiers  # noqa: F401  (its routes join the blueprint)
from survey_app.api import invitations as invitations  # registers its route on bp
from survey_app.api.views import bp

__all__ = ["bp"]
