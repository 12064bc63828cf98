"""The office's side (văn phòng / tổng hợp): every unit in scope against target, read-only."""

from survey_app.office.views import bp

__all__ = ["bp"]
