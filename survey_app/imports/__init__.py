"""Import of response files and dossier files in the web app (nhập dữ liệu): upload,
preview, confirm."""

from survey_app.imports import dossiers  # noqa: F401  (its routes join the blueprint)
from survey_app.imports.views import bp

__all__ = ["bp"]
