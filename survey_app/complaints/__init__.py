"""Complaints (phản ánh, kiến nghị): list, detail with history, mark, assign, answer, close."""

from survey_app.complaints.views import bp

__all__ = ["bp"]
