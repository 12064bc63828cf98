"""Import of response files in the web app (nhập dữ liệu): upload, preview, confirm."""

from survey_app.imports.views import bp

__all__ = ["bp"]
