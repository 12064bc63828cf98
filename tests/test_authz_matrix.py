"""The authorisation matrix: every role × every route × a unit inside and outside the scope.

Generated from the application's route map: a route without a rule here fails
``test_every_route_has_a_rule``, so a new page cannot ship without deciding who may see it.
Expected answers: a status code, or ``LOGIN`` for a redirect to the login page.  Who passes
a route's gate comes from the access table (``services/access/capabilities.py``), the same
table the decorators read; ``test_every_route_requires_its_capability`` ties each route to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import forms
from survey_app.extensions import db
from survey_app.models import Response
from survey_app.services import complaints, org
from survey_app.services.access.capabilities import Capability, roles_with
from survey_app.services.ingest import responses
from survey_app.services.kiosk import devices as kiosk_devices

from .factories import csrf_of, login, make_counter, make_procedure, make_unit, make_user, token_of
from .reports_web.helpers import make_done_job

LOGIN = "login"
ROLES = ("anonymous", "staff", "unit_head", "office", "inspector", "admin")
EVERYONE_200 = dict.fromkeys(ROLES, 200)
SIGNED_IN_200 = {**dict.fromkeys(ROLES, 200), "anonymous": LOGIN}
# The expectations below are derived from the access table (``services/access/capabilities``),
# which ``tests/services/test_access.py`` pins to the documented matrix.
SIGNED_IN = ROLES[1:]


def _everywhere(role: str) -> bool:
    """Whether the role's scope is every unit (an admin), not a subtree."""
    return role in roles_with(Capability.SEE_ALL_UNITS)


class Gate(dict[str, int | str]):
    """Expected answers of a route behind ``@requires(capability)``: a visitor gets the login
    page, a signed-in role without the capability 403, a role with it the given answer.
    ``test_every_route_requires_its_capability`` checks that the route requires exactly this
    capability."""

    def __init__(self, capability: Capability, answers: Callable[[str], int]) -> None:
        allowed = roles_with(capability)
        super().__init__(
            {"anonymous": LOGIN, **{r: answers(r) if r in allowed else 403 for r in SIGNED_IN}}
        )
        self.capability = capability


def gate(capability: Capability, ok: int, **others: int) -> Gate:
    """Inside the scope: ``ok`` for the roles with the capability (``others``: role → answer
    for some of them, which must hold the capability)."""
    assert set(others) <= roles_with(capability), f"{set(others)} lack {capability}"
    return Gate(capability, lambda role: others.get(role, ok))


def gate_outside(capability: Capability, ok: int) -> Gate:
    """Outside the scope: ``ok`` only for a role that sees every unit, else 404 (not a hint)."""
    return Gate(capability, lambda role: ok if _everywhere(role) else 404)


def step(capability: Capability, ok: int, outside: bool = False) -> dict[str, int | str]:
    """A complaint step (signed in; the service decides): outside the scope a role that does
    not see every unit gets 404 first; then ``ok`` with the capability, 403 without."""
    return {
        "anonymous": LOGIN,
        **{
            r: 404
            if outside and not _everywhere(r)
            else (ok if r in roles_with(capability) else 403)
            for r in SIGNED_IN
        },
    }


OFFICE_IN = gate(Capability.VIEW_OFFICE, 200)
OFFICE_OUT = gate_outside(Capability.VIEW_OFFICE, 200)
# Complaints: everyone signed in reads their scope; unit heads manage; staff mark comments.
READ_IN = SIGNED_IN_200
READ_OUT = {"anonymous": LOGIN, **{r: 200 if _everywhere(r) else 404 for r in SIGNED_IN}}
MANAGE_IN = step(Capability.MANAGE_COMPLAINTS, 303)
MANAGE_OUT = step(Capability.MANAGE_COMPLAINTS, 303, outside=True)
MARK_IN = step(Capability.MARK_COMPLAINTS, 303)
MARK_OUT = step(Capability.MARK_COMPLAINTS, 303, outside=True)
# Administration: the admin only (the organisation, and the accounts).
ADMIN_GET = gate(Capability.ADMIN_ORG, 200)
ADMIN_POST = gate(Capability.ADMIN_ORG, 303)
ADMIN_BAD = gate(Capability.ADMIN_ORG, 400)
ACCOUNTS_GET = gate(Capability.ADMIN_ACCOUNTS, 200)
ACCOUNTS_POST = gate(Capability.ADMIN_ACCOUNTS, 303)
ACCOUNTS_BAD = gate(Capability.ADMIN_ACCOUNTS, 400)
# Integrity signals: inspectors (their subtree) and the admin; never staff, unit heads, office.
INSPECT_IN = gate(Capability.VIEW_INTEGRITY, 200)
INSPECT_OUT = gate_outside(Capability.VIEW_INTEGRITY, 200)
EXCLUDE_BAD = gate(Capability.EXCLUDE_RESPONSES, 400)
EXCLUDE_BACK = gate(Capability.EXCLUDE_RESPONSES, 303)
# Import of response files: the office (rows of its own units only) and the admin.
IMPORT_GET = gate(Capability.IMPORT_DATA, 200)
IMPORT_NO_FILE = gate(Capability.IMPORT_DATA, 400)
IMPORT_NOT_MINE = gate(Capability.IMPORT_DATA, 404)  # no such upload of this user
# Report packs: office, inspector (their subtree) and admin. The POST carries a bad year, so a
# rule is checked without starting a job: 400 inside the scope, 404 outside it.
REPORT_GET = gate(Capability.MAKE_REPORTS, 200)
REPORT_BAD_IN = gate(Capability.MAKE_REPORTS, 400)
REPORT_BAD_OUT = gate_outside(Capability.MAKE_REPORTS, 400)
# A report job is its owner's (u.office) alone: anyone else who may make reports gets 404.
REPORT_JOB = gate(Capability.MAKE_REPORTS, 404, office=200)
# Counter tablets: unit heads (their subtree) and the admin; the kiosk's JSON endpoints are
# authenticated by the device credential, never by a staff session.
KIOSK_GET = gate(Capability.MANAGE_KIOSKS, 200)
KIOSK_GET_OUT = gate_outside(Capability.MANAGE_KIOSKS, 200)
KIOSK_POST = gate(Capability.MANAGE_KIOSKS, 303)
KIOSK_POST_OUT = gate_outside(Capability.MANAGE_KIOSKS, 303)
# Alerts: everyone signed in lists their own (no such alert: 404); rules, webhooks and the
# delivery log for unit heads (their units) and the admin.
ALERTS_NONE = {"anonymous": LOGIN, **dict.fromkeys(SIGNED_IN, 404)}
ALERT_RULES_IN = gate(Capability.MANAGE_ALERTS, 200)
ALERT_RULES_OUT = gate_outside(Capability.MANAGE_ALERTS, 200)
ALERT_BAD_IN = gate(Capability.MANAGE_ALERTS, 400)
ALERT_BAD_OUT = gate_outside(Capability.MANAGE_ALERTS, 400)
ALERT_LOG = gate(Capability.MANAGE_ALERTS, 200)
ALERT_NO_DELIVERY = gate(Capability.MANAGE_ALERTS, 404)


CONFIRMED = {"confirm": "1"}  # the confirmation of a destructive step (auth/confirm.py)


@dataclass(frozen=True)
class Case:
    method: str
    path: Callable[[dict[str, str]], str]
    expected: dict[str, int | str]
    label: str = ""
    data: dict[str, str] | None = None  # POST fields besides the CSRF token


# endpoint → the requests that exercise it (inside / outside the user's unit where it applies)
RULES: dict[str, list[Case]] = {
    "public.index": [Case("GET", lambda w: "/", EVERYONE_200)],
    "public.form": [Case("GET", lambda w: f"/f/{w['token']}", EVERYONE_200)],
    "public.thanks": [Case("GET", lambda w: f"/f/{w['token']}/cam-on", EVERYONE_200)],
    # A dossier's invitation (issue 13) is public: the token is the key; an unknown one is the
    # citizen's 404, and the lookup of a dossier code sits beside a counter's form.
    "public.short": [Case("GET", lambda w: "/h/zzzzzzzzzz", dict.fromkeys(ROLES, 302))],
    "public.invitation": [Case("GET", lambda w: "/ho-so/zzzzzzzzzz", dict.fromkeys(ROLES, 404))],
    "public.invitation_thanks": [
        Case("GET", lambda w: "/ho-so/zzzzzzzzzz/cam-on", dict.fromkeys(ROLES, 404))
    ],
    "public.dossier_lookup": [Case("GET", lambda w: f"/f/{w['token']}/ma-ho-so", EVERYONE_200)],
    # Invitations through the API: an integration key, never a staff session.
    "api.create_invitation": [
        Case("POST", lambda w: "/api/v1/dossiers/H1-261008-1/invitation", dict.fromkeys(ROLES, 401))
    ],
    "api.healthz": [Case("GET", lambda w: "/healthz", EVERYONE_200)],
    "api.openapi": [Case("GET", lambda w: "/api/v1/openapi.json", EVERYONE_200)],
    # The API authenticates kiosks by counter token, never by a staff session.
    "api.create_response": [Case("POST", lambda w: "/api/v1/responses", dict.fromkeys(ROLES, 401))],
    # Dossiers: an integration key, never a staff session or a counter token.
    "api.send_dossiers": [Case("POST", lambda w: "/api/v1/dossiers", dict.fromkeys(ROLES, 401))],
    "api.read_dossier": [
        Case("GET", lambda w: "/api/v1/dossiers/H1-261008-1", dict.fromkeys(ROLES, 401))
    ],
    "auth.login": [Case("GET", lambda w: "/dang-nhap", EVERYONE_200)],
    # Without its CSRF token a logout is refused for everyone.
    "auth.logout": [Case("POST", lambda w: "/dang-xuat", dict.fromkeys(ROLES, 400))],
    "auth.change_password": [Case("GET", lambda w: "/doi-mat-khau", SIGNED_IN_200)],
    # Staff pages show only the user's scope (their data is checked in tests/staff).
    "staff.home": [Case("GET", lambda w: "/nhan-vien", SIGNED_IN_200)],
    "staff.news": [Case("GET", lambda w: "/nhan-vien/moi", SIGNED_IN_200)],
    "staff.trend_chart": [Case("GET", lambda w: "/nhan-vien/xu-huong.svg", SIGNED_IN_200)],
    "office.index": [Case("GET", lambda w: "/van-phong", OFFICE_IN)],
    "office.indicators": [Case("GET", lambda w: "/van-phong/chi-so-ho-so", OFFICE_IN)],
    "office.unit": [
        Case("GET", lambda w: "/van-phong/don-vi/IN", OFFICE_IN, "inside"),
        Case("GET", lambda w: "/van-phong/don-vi/OUT", OFFICE_OUT, "outside"),
    ],
    "office.counter": [
        Case("GET", lambda w: "/van-phong/don-vi/IN/quay/Q1", OFFICE_IN, "inside"),
        Case("GET", lambda w: "/van-phong/don-vi/OUT/quay/Q1", OFFICE_OUT, "outside"),
    ],
    "complaints.index": [Case("GET", lambda w: "/phan-anh", READ_IN)],
    "complaints.detail": [
        Case("GET", lambda w: f"/phan-anh/{w['complaint_in']}", READ_IN, "inside"),
        Case("GET", lambda w: f"/phan-anh/{w['complaint_out']}", READ_OUT, "outside"),
    ],
    "complaints.mark": [
        Case(
            "POST",
            lambda w: f"/phan-anh/danh-dau/{w['response_in']}",
            MARK_IN,
            "inside",
            {"kind": "phuc_vu", "confirm": "1"},
        ),
        Case(
            "POST",
            lambda w: f"/phan-anh/danh-dau/{w['response_out']}",
            MARK_OUT,
            "outside",
            {"kind": "phuc_vu", "confirm": "1"},
        ),
    ],
    # In this order, so that each step is allowed by the complaint's state for a unit head.
    "complaints.assign": [
        Case(
            "POST",
            lambda w: f"/phan-anh/{w['complaint_in']}/giao",
            MANAGE_IN,
            "inside",
            {"assignee": "HEAD_IN"},
        ),
        Case(
            "POST",
            lambda w: f"/phan-anh/{w['complaint_out']}/giao",
            MANAGE_OUT,
            "outside",
            {"assignee": "HEAD_OUT"},
        ),
    ],
    "complaints.answer": [
        Case(
            "POST",
            lambda w: f"/phan-anh/{w['complaint_in']}/tra-loi",
            MANAGE_IN,
            "inside",
            {"answer": "Đã xử lý."},
        ),
        Case(
            "POST",
            lambda w: f"/phan-anh/{w['complaint_out']}/tra-loi",
            MANAGE_OUT,
            "outside",
            {"answer": "Đã xử lý."},
        ),
    ],
    "complaints.close": [
        Case("POST", lambda w: f"/phan-anh/{w['complaint_in']}/dong", MANAGE_IN, "inside"),
        Case("POST", lambda w: f"/phan-anh/{w['complaint_out']}/dong", MANAGE_OUT, "outside"),
    ],
    "complaints.reopen": [
        Case(
            "POST",
            lambda w: f"/phan-anh/{w['complaint_in']}/mo-lai",
            MANAGE_IN,
            "inside",
            {"note": "Mở lại"},
        ),
        Case(
            "POST",
            lambda w: f"/phan-anh/{w['complaint_out']}/mo-lai",
            MANAGE_OUT,
            "outside",
            {"note": "Mở lại"},
        ),
    ],
    # After the steps above complaint_in is assigned again: its unit head may withdraw it.
    "complaints.withdraw": [
        Case("POST", lambda w: f"/phan-anh/{w['complaint_in']}/rut-lai", MANAGE_IN, "inside"),
        Case("POST", lambda w: f"/phan-anh/{w['complaint_out']}/rut-lai", MANAGE_OUT, "outside"),
    ],
    "inspector.index": [Case("GET", lambda w: "/thanh-tra", INSPECT_IN)],
    "inspector.trust": [Case("GET", lambda w: "/thanh-tra/tin-cay", INSPECT_IN)],
    # Exclusions: inspectors only (no day given: 400; no such exclusion: back to the page).
    "inspector.exclude": [Case("POST", lambda w: "/thanh-tra/tin-cay/loai", EXCLUDE_BAD)],
    "inspector.restore": [
        Case("POST", lambda w: "/thanh-tra/tin-cay/khoi-phuc/999999", EXCLUDE_BACK)
    ],
    "inspector.unit": [
        Case("GET", lambda w: "/thanh-tra/don-vi/IN", INSPECT_IN, "inside"),
        Case("GET", lambda w: "/thanh-tra/don-vi/OUT", INSPECT_OUT, "outside"),
    ],
    "admin.index": [Case("GET", lambda w: "/quan-tri", ADMIN_GET)],
    "admin.counters_page": [Case("GET", lambda w: "/quan-tri/quay", ADMIN_GET)],
    "admin.card_pdf": [
        Case("GET", lambda w: f"/quan-tri/quay/{w['counter_in']}/the.pdf", ADMIN_GET)
    ],
    "admin.card_svg": [
        Case("GET", lambda w: f"/quan-tri/quay/{w['counter_in']}/the.svg", ADMIN_GET)
    ],
    "admin.log": [Case("GET", lambda w: "/quan-tri/nhat-ky", ADMIN_GET)],
    # In this order, so that each change is allowed by the counter's state for the admin.
    "admin.add_counter": [
        Case(
            "POST",
            lambda w: "/quan-tri/quay",
            ADMIN_POST,
            "",
            {"unit": "IN", "code": "Q9", "name": "Quầy mới"},
        )
    ],
    "admin.deactivate": [
        Case("POST", lambda w: f"/quan-tri/quay/{w['counter_in']}/ngung", ADMIN_POST, "", CONFIRMED)
    ],
    "admin.activate": [
        Case("POST", lambda w: f"/quan-tri/quay/{w['counter_in']}/kich-hoat", ADMIN_POST)
    ],
    "admin.rotate_token": [
        Case(
            "POST", lambda w: f"/quan-tri/quay/{w['counter_in']}/doi-ma", ADMIN_POST, "", CONFIRMED
        )
    ],
    "admin.revoke_tokens": [
        Case(
            "POST", lambda w: f"/quan-tri/quay/{w['counter_in']}/thu-hoi", ADMIN_POST, "", CONFIRMED
        )
    ],
    "admin.issue_token": [
        Case("POST", lambda w: f"/quan-tri/quay/{w['counter_in']}/cap-ma", ADMIN_POST)
    ],
    # Units, procedures, accounts: in this order, so each change is allowed for the admin.
    "admin.units_page": [Case("GET", lambda w: "/quan-tri/don-vi", ADMIN_GET)],
    "admin.edit_unit": [Case("GET", lambda w: f"/quan-tri/don-vi/{w['unit_in']}", ADMIN_GET)],
    "admin.add_unit": [
        Case(
            "POST",
            lambda w: "/quan-tri/don-vi",
            ADMIN_POST,
            "",
            {
                "code": "NEW",
                "name": "Xã mới",
                "place_name": "Bộ phận một cửa",
                "parent": "P",
                "target_group": "chung",
                "questionnaire": "sipas-2024-dv",
            },
        )
    ],
    "admin.save_unit": [
        Case(
            "POST",
            lambda w: f"/quan-tri/don-vi/{w['unit_in']}",
            ADMIN_POST,
            "",
            {
                "code": "IN",
                "name": "Trung tâm bên trong (sửa)",
                "place_name": "Trung tâm",
                "parent": "P",
                "target_group": "chung",
                "questionnaire": "sipas-2024-dv",
            },
        )
    ],
    "admin.deactivate_unit": [
        Case("POST", lambda w: f"/quan-tri/don-vi/{w['unit_in']}/ngung", ADMIN_POST, "", CONFIRMED)
    ],
    "admin.activate_unit": [
        Case("POST", lambda w: f"/quan-tri/don-vi/{w['unit_in']}/kich-hoat", ADMIN_POST)
    ],
    "admin.procedures_page": [Case("GET", lambda w: "/quan-tri/thu-tuc", ADMIN_GET)],
    "admin.procedures_template": [Case("GET", lambda w: "/quan-tri/thu-tuc/mau.csv", ADMIN_GET)],
    "admin.edit_procedure": [
        Case("GET", lambda w: f"/quan-tri/thu-tuc/{w['procedure_in']}", ADMIN_GET)
    ],
    "admin.add_procedure": [
        Case(
            "POST",
            lambda w: "/quan-tri/thu-tuc",
            ADMIN_POST,
            "",
            {
                "code": "9.999",
                "name": "Thủ tục mới",
                "field": "Thử",
                "target_group": "chung",
                "units": "IN",
            },
        )
    ],
    "admin.save_procedure": [
        Case(
            "POST",
            lambda w: f"/quan-tri/thu-tuc/{w['procedure_in']}",
            ADMIN_POST,
            "",
            {
                "code": "1.004227",
                "name": "Đổi tên",
                "field": "Đất đai",
                "units": "IN",
                "target_group": "chung",
            },
        )
    ],
    "admin.deactivate_procedure": [
        Case(
            "POST",
            lambda w: f"/quan-tri/thu-tuc/{w['procedure_in']}/ngung",
            ADMIN_POST,
            "",
            CONFIRMED,
        )
    ],
    "admin.activate_procedure": [
        Case("POST", lambda w: f"/quan-tri/thu-tuc/{w['procedure_in']}/kich-hoat", ADMIN_POST)
    ],
    # Without a file the import is refused (400) once the role is allowed.
    "admin.import_procedures": [Case("POST", lambda w: "/quan-tri/thu-tuc/nhap", ADMIN_BAD)],
    "admin.accounts_page": [Case("GET", lambda w: "/quan-tri/tai-khoan", ACCOUNTS_GET)],
    "admin.account": [Case("GET", lambda w: f"/quan-tri/tai-khoan/{w['HEAD_OUT']}", ACCOUNTS_GET)],
    # The temporary password is shown in the answer: 200, not a redirect.
    "admin.add_account": [
        Case(
            "POST",
            lambda w: "/quan-tri/tai-khoan",
            ACCOUNTS_GET,
            "",
            {"username": "u.moi", "role": "staff", "unit": "IN"},
        )
    ],
    "admin.add_role": [
        Case(
            "POST",
            lambda w: f"/quan-tri/tai-khoan/{w['HEAD_OUT']}/vai-tro",
            ACCOUNTS_POST,
            "",
            {"role": "office", "unit": "OUT"},
        )
    ],
    "admin.remove_role": [
        Case(
            "POST",
            lambda w: f"/quan-tri/tai-khoan/{w['HEAD_OUT']}/go-vai-tro",
            ACCOUNTS_POST,
            "",
            {"assignment": "ROLE_OUT", "confirm": "1"},
        )
    ],
    "admin.disable_account": [
        Case(
            "POST",
            lambda w: f"/quan-tri/tai-khoan/{w['HEAD_OUT']}/vo-hieu",
            ACCOUNTS_POST,
            "",
            CONFIRMED,
        )
    ],
    "admin.enable_account": [
        Case("POST", lambda w: f"/quan-tri/tai-khoan/{w['HEAD_OUT']}/kich-hoat", ACCOUNTS_POST)
    ],
    "admin.reset_password": [
        Case(
            "POST",
            lambda w: f"/quan-tri/tai-khoan/{w['HEAD_OUT']}/dat-lai-mat-khau",
            ACCOUNTS_GET,
            "",
            CONFIRMED,
        )
    ],
    # The account is not locked: refused (400) once the role is allowed.
    "admin.unlock_account": [
        Case("POST", lambda w: f"/quan-tri/tai-khoan/{w['HEAD_OUT']}/mo-khoa", ACCOUNTS_BAD)
    ],
    # Integration keys: made (the key shown in the answer: 200), revoked (no such key: 404).
    "admin.keys_page": [Case("GET", lambda w: "/quan-tri/khoa-tich-hop", ADMIN_GET)],
    "admin.add_key": [
        Case(
            "POST", lambda w: "/quan-tri/khoa-tich-hop", ADMIN_GET, "", {"name": "k", "unit": "IN"}
        )
    ],
    "admin.revoke_key": [
        Case(
            "POST",
            lambda w: "/quan-tri/khoa-tich-hop/999999/thu-hoi",
            gate(Capability.ADMIN_ORG, 404),
            "",
            CONFIRMED,
        )
    ],
    "imports.dossiers_page": [Case("GET", lambda w: "/nhap-du-lieu/ho-so", IMPORT_GET)],
    "imports.dossiers_template": [
        Case("GET", lambda w: "/nhap-du-lieu/ho-so/mau.xlsx", IMPORT_GET)
    ],
    "imports.upload_dossiers": [Case("POST", lambda w: "/nhap-du-lieu/ho-so", IMPORT_NO_FILE)],
    "imports.confirm_dossiers": [
        Case("POST", lambda w: "/nhap-du-lieu/ho-so/" + "x" * 24, IMPORT_NOT_MINE)
    ],
    "imports.index": [Case("GET", lambda w: "/nhap-du-lieu", IMPORT_GET)],
    "imports.template": [Case("GET", lambda w: "/nhap-du-lieu/mau.xlsx", IMPORT_GET)],
    "imports.upload": [Case("POST", lambda w: "/nhap-du-lieu", IMPORT_NO_FILE)],
    "imports.confirm": [Case("POST", lambda w: "/nhap-du-lieu/" + "x" * 24, IMPORT_NOT_MINE)],
    "alerts_web.index": [Case("GET", lambda w: "/canh-bao", SIGNED_IN_200)],
    "alerts_web.acknowledge": [Case("POST", lambda w: "/canh-bao/999999/da-xem", ALERTS_NONE)],
    "alerts_web.rules": [
        Case("GET", lambda w: "/canh-bao/quy-tac?don_vi=IN", ALERT_RULES_IN, "inside"),
        Case("GET", lambda w: "/canh-bao/quy-tac?don_vi=OUT", ALERT_RULES_OUT, "outside"),
    ],
    "alerts_web.save_rule": [
        Case(
            "POST",
            lambda w: "/canh-bao/quy-tac",
            ALERT_BAD_IN,
            "inside",
            {"don_vi": "IN", "loai": "low_share", "nguong": "abc"},
        ),
        Case(
            "POST",
            lambda w: "/canh-bao/quy-tac",
            ALERT_BAD_OUT,
            "outside",
            {"don_vi": "OUT", "loai": "low_share", "nguong": "abc"},
        ),
    ],
    "alerts_web.add_webhook": [
        Case("POST", lambda w: "/canh-bao/webhook", ALERT_BAD_IN, "inside", {"don_vi": "IN"}),
        Case("POST", lambda w: "/canh-bao/webhook", ALERT_BAD_OUT, "outside", {"don_vi": "OUT"}),
    ],
    "alerts_web.save_opening_hours": [
        Case(
            "POST",
            lambda w: "/canh-bao/gio-lam-viec",
            ALERT_BAD_IN,
            "inside",
            {"don_vi": "IN", "gio": "x"},
        ),
        Case(
            "POST",
            lambda w: "/canh-bao/gio-lam-viec",
            ALERT_BAD_OUT,
            "outside",
            {"don_vi": "OUT", "gio": "x"},
        ),
    ],
    # The unit's automatic complaints (issue 16): no "bat" field = switched off (303).
    "alerts_web.save_auto_complaints": [
        Case(
            "POST",
            lambda w: "/canh-bao/phan-anh-tu-dong",
            gate(Capability.MANAGE_ALERTS, 303),
            "inside",
            {"don_vi": "IN"},
        ),
        Case(
            "POST",
            lambda w: "/canh-bao/phan-anh-tu-dong",
            gate_outside(Capability.MANAGE_ALERTS, 303),
            "outside",
            {"don_vi": "OUT"},
        ),
    ],
    # Holidays (issue 16): the admin; a bad date answers 400, no such day 404.
    "admin.holidays_page": [
        Case("GET", lambda w: "/quan-tri/ngay-nghi", gate(Capability.EDIT_HOLIDAYS, 200))
    ],
    "admin.add_holiday": [
        Case(
            "POST",
            lambda w: "/quan-tri/ngay-nghi",
            gate(Capability.EDIT_HOLIDAYS, 400),
            "",
            {"ngay": "x", "ten": "x", "loai": "nghi"},
        )
    ],
    "admin.remove_holiday": [
        Case(
            "POST", lambda w: "/quan-tri/ngay-nghi/999999/xoa", gate(Capability.EDIT_HOLIDAYS, 404)
        )
    ],
    "alerts_web.deliveries": [Case("GET", lambda w: "/canh-bao/gui", ALERT_LOG)],
    "alerts_web.send_again": [
        Case("POST", lambda w: "/canh-bao/gui/999999/gui-lai", ALERT_NO_DELIVERY)
    ],
    "reports_web.index": [Case("GET", lambda w: "/bao-cao", REPORT_GET)],
    "reports_web.start": [
        Case(
            "POST",
            lambda w: "/bao-cao",
            REPORT_BAD_IN,
            "inside",
            {"loai": "nam", "nam": "x", "don_vi": "IN"},
        ),
        Case(
            "POST",
            lambda w: "/bao-cao",
            REPORT_BAD_OUT,
            "outside",
            {"loai": "nam", "nam": "x", "don_vi": "OUT"},
        ),
    ],
    "reports_web.job": [Case("GET", lambda w: f"/bao-cao/{w['report_job']}", REPORT_JOB)],
    "reports_web.status": [
        Case("GET", lambda w: f"/bao-cao/{w['report_job']}/trang-thai", REPORT_JOB)
    ],
    "reports_web.download": [
        Case("GET", lambda w: f"/bao-cao/{w['report_job']}/tai/xlsx", REPORT_JOB)
    ],
    "reports_web.view": [Case("GET", lambda w: f"/bao-cao/{w['report_job']}/xem", REPORT_JOB)],
    "reports_web.chart": [
        Case("GET", lambda w: f"/bao-cao/{w['report_job']}/bieu-do/xep_hang.svg", REPORT_JOB)
    ],
    "kiosk.page": [Case("GET", lambda w: "/kiosk/", EVERYONE_200)],
    "kiosk.service_worker": [Case("GET", lambda w: "/kiosk/sw.js", EVERYONE_200)],
    "kiosk.enrol": [Case("POST", lambda w: "/kiosk/api/ket-noi", dict.fromkeys(ROLES, 400))],
    "kiosk.config": [Case("GET", lambda w: "/kiosk/api/cau-hinh", dict.fromkeys(ROLES, 401))],
    "kiosk.submit": [Case("POST", lambda w: "/kiosk/api/phieu", dict.fromkeys(ROLES, 401))],
    "kiosk.heartbeat": [Case("POST", lambda w: "/kiosk/api/nhip", dict.fromkeys(ROLES, 401))],
    "admin.kiosk_devices": [
        Case("GET", lambda w: f"/quan-tri/quay/{w['counter_in']}/thiet-bi", KIOSK_GET, "inside"),
        Case(
            "GET", lambda w: f"/quan-tri/quay/{w['counter_out']}/thiet-bi", KIOSK_GET_OUT, "outside"
        ),
    ],
    # A new code is shown in the answer: 200, not a redirect.
    "admin.kiosk_code": [
        Case(
            "POST",
            lambda w: f"/quan-tri/quay/{w['counter_in']}/thiet-bi",
            KIOSK_GET,
            "inside",
            {"name": "Máy"},
        ),
        Case(
            "POST",
            lambda w: f"/quan-tri/quay/{w['counter_out']}/thiet-bi",
            KIOSK_GET_OUT,
            "outside",
            {"name": "Máy"},
        ),
    ],
    "admin.kiosk_rename": [
        Case(
            "POST",
            lambda w: f"/quan-tri/thiet-bi/{w['device_in']}/doi-ten",
            KIOSK_POST,
            "inside",
            {"name": "Máy mới"},
        ),
        Case(
            "POST",
            lambda w: f"/quan-tri/thiet-bi/{w['device_out']}/doi-ten",
            KIOSK_POST_OUT,
            "outside",
            {"name": "Máy mới"},
        ),
    ],
    "admin.kiosk_revoke": [
        Case(
            "POST",
            lambda w: f"/quan-tri/thiet-bi/{w['device_in']}/thu-hoi",
            KIOSK_POST,
            "inside",
            CONFIRMED,
        ),
        Case(
            "POST",
            lambda w: f"/quan-tri/thiet-bi/{w['device_out']}/thu-hoi",
            KIOSK_POST_OUT,
            "outside",
            CONFIRMED,
        ),
    ],
}
EXEMPT = {"static"}  # files, not pages


def test_every_route_has_a_rule(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - EXEMPT
    missing = sorted(endpoints - RULES.keys())
    assert missing == [], f"routes without an authorisation rule: {missing}"
    stale = sorted(RULES.keys() - endpoints)
    assert stale == [], f"rules for routes that no longer exist: {stale}"


def test_every_route_requires_its_capability(app: Flask) -> None:
    """A route behind ``@requires(c)`` is described by a :class:`Gate` of ``c``, and a route
    described by a gate requires its capability: the matrix and the decorators read one table."""
    wrong = []
    for endpoint, cases in RULES.items():
        required = getattr(app.view_functions[endpoint], "required_capability", None)
        for case in cases:
            described = case.expected.capability if isinstance(case.expected, Gate) else None
            if required != described:
                wrong.append(f"{endpoint} {case.label}: requires {required}, rule {described}")
    assert wrong == [], "\n".join(wrong)


def build_world(app: Flask, tmp_path: Path) -> dict[str, str]:
    """Units P → IN, OUT, a user per role at IN (``u.<role>``; ``u.admin``), responses and
    complaints inside and outside; the ids the rules' paths use.  Needs an app context;
    shared with ``tests/browser/test_every_page_browser.py``."""
    root = make_unit("P", "Tỉnh thử")
    inside = make_unit("IN", "Trung tâm bên trong", parent=root)
    outside = make_unit("OUT", "Trung tâm bên ngoài", parent=root)
    counter_in, counter_out = make_counter(inside), make_counter(outside)
    token, other = token_of(counter_in), token_of(counter_out)
    users = {role: make_user(f"u.{role}", role, inside) for role in ROLES[1:-1]}
    make_user("u.admin", "admin", None)
    head_out = make_user("u.head.out", "unit_head", outside)
    ids = {}
    for name, tok in (("in", token), ("out", other)):
        info = org.counter_by_token(tok)
        assert info is not None
        for kind in ("complaint", "response"):
            sub = responses.Submission(answers={"C1": 1}, comment=f"Góp ý {kind} {name}")
            ids[f"{kind}_{name}"] = responses.submit(
                info, forms.get(info.questionnaire_id), sub
            ).response_id
    for name, actor in (("in", users["unit_head"]), ("out", head_out)):
        response = db.session.get(Response, ids[f"complaint_{name}"])
        ids[f"complaint_{name}"] = complaints.mark(response, "phuc_vu", actor).id
    db.session.commit()
    ids["HEAD_IN"], ids["HEAD_OUT"] = users["unit_head"].id, head_out.id  # assignee ids
    ids["counter_in"], ids["counter_out"] = counter_in.id, counter_out.id
    for name, counter in (("in", counter_in), ("out", counter_out)):
        code = kiosk_devices.create_code(None, counter, f"Máy {name}")
        ids[f"device_{name}"] = kiosk_devices.enrol(code.code).device.id
    ids["unit_in"], ids["procedure_in"] = inside.id, make_procedure(inside).id
    ids["ROLE_OUT"] = head_out.roles[0].id
    ids["report_job"] = make_done_job(app, users["office"], "IN", tmp_path / "reports").id
    return {"token": token, **{k: str(v) for k, v in ids.items()}}


@pytest.fixture
def world(app: Flask, tmp_path: Path) -> dict[str, str]:
    return build_world(app, tmp_path)


def _client(app: Flask, role: str) -> FlaskClient:
    client = app.test_client()
    if role != "anonymous":
        resp = login(client, f"u.{role}")
        assert resp.status_code == 303, f"{role} could not sign in"
    return client


def _outcome(resp: Any) -> int | str:
    resp.close()  # a file response holds its file open until closed
    if resp.status_code in (302, 303) and "/dang-nhap" in resp.headers.get("Location", ""):
        return LOGIN
    return int(resp.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_matrix(app: Flask, world: dict[str, str], role: str) -> None:
    client = _client(app, role)
    token = csrf_of(client, "/dang-nhap")  # POSTs carry a valid CSRF token: rules, not CSRF
    wrong = []
    for endpoint, cases in RULES.items():
        for case in cases:
            data = None
            if case.method == "POST" and not endpoint.startswith(("api.", "auth.")):
                data = {
                    "csrf_token": token,
                    **{k: world.get(v, v) for k, v in (case.data or {}).items()},
                }
            got = _outcome(client.open(case.path(world), method=case.method, data=data))
            want = case.expected[role]
            if got != want:
                wrong.append(
                    f"{endpoint} {case.label} {case.method} {case.path(world)}: "
                    f"got {got}, want {want}"
                )
    assert wrong == [], "\n".join(wrong)
