"""Complaints (phản ánh, kiến nghị): list, detail with history, mark, assign, answer, close."""

from .views import bp

__all__ = ["bp"]
