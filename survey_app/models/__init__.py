"""Typed SQLAlchemy 2 models. Import models from here."""

from .base import Base, UTCDateTime, utcnow
from .org import Counter, CounterToken, Procedure, Unit, unit_procedures
from .responses import DailyCount, DailyRespondents, QuestionnaireVersion, Response

__all__ = [
    "Base", "Counter", "CounterToken", "DailyCount", "DailyRespondents", "Procedure",
    "QuestionnaireVersion", "Response", "UTCDateTime", "Unit", "unit_procedures", "utcnow",
]
