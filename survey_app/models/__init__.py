"""Typed SQLAlchemy 2 models. Import models from here."""

from survey_app.models.accounts import ROLES, RoleAssignment, User
from survey_app.models.alerts import Alert, AlertRule, Delivery, DigestMail, Webhook
from survey_app.models.audit import AuditEntry as AuditEntry
from survey_app.models.base import Base, UTCDateTime, utcnow
from survey_app.models.calendar import Holiday
from survey_app.models.complaints import Complaint, ComplaintEvent
from survey_app.models.dossiers import Dossier, IntegrationKey, Invitation
from survey_app.models.kiosk import KioskDevice, KioskEnrolment, KioskSilence
from survey_app.models.org import (
    CacheGeneration,
    Counter,
    CounterToken,
    Procedure,
    Unit,
    unit_procedures,
)
from survey_app.models.reports import ReportJob as ReportJob
from survey_app.models.responses import QuestionnaireVersion, Response, StatsBucket
from survey_app.models.trust import Exclusion

__all__ = [
    "Alert",
    "AlertRule",
    "Delivery",
    "DigestMail",
    "Webhook",
    "Base",
    "CacheGeneration",
    "Complaint",
    "ComplaintEvent",
    "Counter",
    "Dossier",
    "Exclusion",
    "Holiday",
    "IntegrationKey",
    "Invitation",
    "KioskDevice",
    "KioskEnrolment",
    "KioskSilence",
    "CounterToken",
    "Procedure",
    "ROLES",
    "QuestionnaireVersion",
    "Response",
    "RoleAssignment",
    "StatsBucket",
    "UTCDateTime",
    "Unit",
    "User",
    "unit_procedures",
    "utcnow",
]
