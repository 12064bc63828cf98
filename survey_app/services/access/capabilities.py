"""Who may do what: THE table of capabilities by role.

Every "may this user do X?" in the application asks this table: the access decorators
(``auth.decorators.requires``), the services (``can``, ``roles_with``), the templates (``can``
is a Jinja global) and the authorisation-matrix test. *Where* a user may do it (which units)
is a separate question, answered by :mod:`survey_app.services.access.scope`: a role held at a
unit covers that unit and every unit below it, and :attr:`Capability.SEE_ALL_UNITS` covers
every unit. Signing in alone (any role, or none) opens the staff pages, the complaints list
and the password change (``auth.decorators.staff_required``); no capability is needed there.

The same module says where each role starts after signing in (:data:`LANDINGS`, read by the
header menu, the sign-in and the error pages through ``auth.navigation``).

=======================  =======================================================
capability               roles
=======================  =======================================================
SEE_ALL_UNITS            admin
VIEW_OFFICE              unit_head, office, admin
VIEW_INTEGRITY           inspector, admin
MAKE_REPORTS             office, inspector, admin
INTEGRITY_IN_REPORTS     inspector
IMPORT_DATA              office, admin
ADMIN_ORG                admin
ADMIN_ACCOUNTS           admin
MARK_COMPLAINTS          staff, unit_head
MANAGE_COMPLAINTS        unit_head
SEE_CONDUCT_COMPLAINTS   unit_head, office, inspector, admin
MANAGE_KIOSKS            unit_head, admin
MANAGE_ALERTS            unit_head, admin
SEE_DOSSIER_LINK         unit_head, inspector
EXCLUDE_RESPONSES        inspector
EDIT_HOLIDAYS            admin
=======================  =======================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class Capability(StrEnum):
    """Something a role may do; :data:`TABLE` says which roles may."""

    SEE_ALL_UNITS = "see_all_units"
    """Scope: every unit, not only the subtrees of the user's roles (``access.scope``)."""
    VIEW_OFFICE = "view_office"
    """``/van-phong``: scores by unit, counter and item."""
    VIEW_INTEGRITY = "view_integrity"
    """``/thanh-tra``: integrity signals and conduct complaints."""
    MAKE_REPORTS = "make_reports"
    """``/bao-cao``: periodic report packs."""
    INTEGRITY_IN_REPORTS = "integrity_in_reports"
    """A report pack carries the integrity rates (for units below such a role only)."""
    IMPORT_DATA = "import_data"
    """``/nhap-du-lieu``: import response files (rows of the user's own units only)."""
    ADMIN_ORG = "admin_org"
    """``/quan-tri``: units, counters and QR tokens, procedures, the audit log."""
    ADMIN_ACCOUNTS = "admin_accounts"
    """``/quan-tri/tai-khoan``: accounts and their roles."""
    MARK_COMPLAINTS = "mark_complaints"
    """Mark a comment as a complaint (on a response the role covers); be assigned a service
    (``phuc_vu``) complaint."""
    MANAGE_COMPLAINTS = "manage_complaints"
    """Assign, answer, close, reopen and withdraw the complaints of the units the role covers;
    be assigned a conduct (``thai_do``) complaint."""
    SEE_CONDUCT_COMPLAINTS = "see_conduct_complaints"
    """See conduct (``thai_do``) complaints of the units the role covers."""
    MANAGE_KIOSKS = "manage_kiosks"
    """Enrol, rename and revoke the counter tablets of the units the role covers (issue 15)."""
    MANAGE_ALERTS = "manage_alerts"
    """``/canh-bao/quy-tac``, ``/canh-bao/gui``: alert rules, webhooks and the delivery log of
    the units the role covers (who *sees* an alert is ``services.alerts.visible_filter``)."""
    SEE_DOSSIER_LINK = "see_dossier_link"
    """See the dossier behind a verified response on the page of a complaint marked on it,
    to call back or send the apology letter (issue 13): a unit head covering the complaint's
    unit, or for a conduct complaint an inspector covering it too; every view is audited
    (``dossier.view``).  Never counter staff (the ``staff`` role)."""
    EXCLUDE_RESPONSES = "exclude_responses"
    """``/thanh-tra/tin-cay``: exclude a counter-day's open responses or a burst from every
    index, and restore them (reason required, audited; issue 14)."""
    EDIT_HOLIDAYS = "edit_holidays"
    """``/quan-tri/ngay-nghi``: the days off and make-up working days that complaint deadlines
    count in (issue 16)."""


TABLE: Mapping[Capability, frozenset[str]] = MappingProxyType(
    {
        Capability.SEE_ALL_UNITS: frozenset({"admin"}),
        Capability.VIEW_OFFICE: frozenset({"unit_head", "office", "admin"}),
        Capability.VIEW_INTEGRITY: frozenset({"inspector", "admin"}),
        Capability.MAKE_REPORTS: frozenset({"office", "inspector", "admin"}),
        Capability.INTEGRITY_IN_REPORTS: frozenset({"inspector"}),
        Capability.IMPORT_DATA: frozenset({"office", "admin"}),
        Capability.ADMIN_ORG: frozenset({"admin"}),
        Capability.ADMIN_ACCOUNTS: frozenset({"admin"}),
        Capability.MARK_COMPLAINTS: frozenset({"staff", "unit_head"}),
        Capability.MANAGE_COMPLAINTS: frozenset({"unit_head"}),
        Capability.SEE_CONDUCT_COMPLAINTS: frozenset({"unit_head", "office", "inspector", "admin"}),
        Capability.MANAGE_KIOSKS: frozenset({"unit_head", "admin"}),
        Capability.MANAGE_ALERTS: frozenset({"unit_head", "admin"}),
        Capability.SEE_DOSSIER_LINK: frozenset({"unit_head", "inspector"}),
        Capability.EXCLUDE_RESPONSES: frozenset({"inspector"}),
        Capability.EDIT_HOLIDAYS: frozenset({"admin"}),
    }
)


def roles_with(capability: Capability) -> frozenset[str]:
    """The roles that have ``capability``."""
    return TABLE[capability]


def capabilities_of(role: str) -> frozenset[Capability]:
    """What one role may do."""
    return frozenset(c for c, roles in TABLE.items() if role in roles)


def can(user: Any, capability: Capability) -> bool:
    """Whether the user holds a role (at any unit) that has ``capability``.

    ``user`` is a :class:`~survey_app.models.User` or Flask-Login's anonymous user, who may
    do nothing. Which units the capability applies to is :mod:`.scope`'s question.
    """
    if not user.is_authenticated:
        return False
    roles = TABLE[capability]
    return any(a.role in roles for a in user.roles)


class Landing(StrEnum):
    """The page a user starts on after signing in (``auth.navigation`` maps each to its
    route), and where the error pages send them back to."""

    ADMIN = "admin"  # /quan-tri, the administration's index
    OFFICE = "office"  # /van-phong, the units' overview
    INSPECTOR = "inspector"  # /thanh-tra, the integrity signals
    STAFF = "staff"  # /nhan-vien, today's feedback


# The first role the user holds, in this order, chooses the landing page; no role: STAFF.
LANDINGS: tuple[tuple[str, Landing], ...] = (
    ("admin", Landing.ADMIN),
    ("office", Landing.OFFICE),
    ("inspector", Landing.INSPECTOR),
    ("unit_head", Landing.STAFF),
    ("staff", Landing.STAFF),
)


def landing_of(user: Any) -> Landing:
    """Where ``user`` starts: the landing of the first of their roles in :data:`LANDINGS`."""
    held = {a.role for a in user.roles} if user.is_authenticated else set()
    return next((page for role, page in LANDINGS if role in held), Landing.STAFF)
