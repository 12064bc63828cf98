"""Import of response files in the web app (nhập dữ liệu): upload, preview, confirm."""

from .views import bp

__all__ = ["bp"]
