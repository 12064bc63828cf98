"""Typed SQLAlchemy 2 models. Import models from here."""

from .accounts import ROLES, RoleAssignment, User
from .audit import AuditEntry as AuditEntry
from .base import Base, UTCDateTime, utcnow
from .complaints import Complaint, ComplaintEvent
from .org import Counter, CounterToken, Procedure, Unit, unit_procedures
from .reports import ReportJob as ReportJob
from .responses import QuestionnaireVersion, Response, StatsBucket

__all__ = [
    "Base", "Complaint", "ComplaintEvent", "Counter", "CounterToken", "Procedure", "ROLES",
    "QuestionnaireVersion", "Response", "RoleAssignment", "StatsBucket", "UTCDateTime", "Unit",
    "User", "unit_procedures", "utcnow",
]
