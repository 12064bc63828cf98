"""The unit tree for administrators: read it, add, edit (re-parent), deactivate, activate.

Each change validates, applies, appends an audit entry (``services.audit``) and commits once;
then this process's token cache is cleared, since a unit's name, place, questionnaire, target
group and state are part of what its counters' forms show (``org.forget_cached_counters``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

import forms
from survey_app.extensions import db
from survey_app.models import Counter, QuestionnaireVersion, Unit, User
from survey_app.models.org import FORM_STARTS, TARGET_GROUPS
from survey_app.services import org
from survey_app.services.errors import InputError
from survey_app.services.org import audit
from survey_app.services.text import clean as clean_text
from survey_app.services.workdays import OpeningHours

CODE_RE = re.compile(r"[A-Za-z0-9._-]{1,40}")
NAME_MAX, KIND_MAX = 300, 80
FIELDS = (
    "code",
    "name",
    "kind",
    "place_name",
    "parent",
    "target_group",
    "questionnaire",
    "form_start",
    "open_qr",
)


class OrgError(InputError):
    """A change that cannot be made; the message is shown to the administrator."""


@dataclass(frozen=True)
class Node:
    """A unit in the tree, with its depth (0 for a root) and number of counters."""

    unit: Unit
    depth: int
    counters: int


def tree() -> list[Node]:
    """Every unit, depth first: each parent before its children, siblings by code."""
    units = list(db.session.scalars(select(Unit).order_by(Unit.code)))
    counts = {
        uid: n
        for uid, n in db.session.execute(
            select(Counter.unit_id, func.count()).group_by(Counter.unit_id)
        )
    }
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    nodes: list[Node] = []
    seen: set[int] = set()

    def walk(unit: Unit, depth: int) -> None:
        seen.add(unit.id)
        nodes.append(Node(unit, depth, counts.get(unit.id, 0)))
        for child in children.get(unit.id, []):
            if child.id not in seen:
                walk(child, depth + 1)

    for root in children.get(None, []):
        walk(root, 0)
    for unit in units:  # never lose a unit, even one on a cycle made outside the app
        if unit.id not in seen:
            walk(unit, 0)
    return nodes


def branches(nodes: list[Node]) -> dict[int | None, list[Node]]:
    """The tree's nodes by parent id (``None``: the roots), for a nested list."""
    found: dict[int | None, list[Node]] = {}
    for node in nodes:
        found.setdefault(node.unit.parent_id if node.depth else None, []).append(node)
    return found


def questionnaires() -> dict[str, str]:
    """Questionnaire versions a unit may use: defined in ``forms/`` and registered in the
    database (id → title), by id."""
    defined = forms.load_all()
    registered = db.session.scalars(select(QuestionnaireVersion.id)).all()
    return {qid: defined[qid].title.vi for qid in sorted(registered) if qid in defined}


def get(unit_id: int) -> Unit | None:
    return db.session.get(Unit, unit_id)


def _state(unit: Unit) -> dict[str, Any]:
    return {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "place_name": unit.place_name,
        "parent": unit.parent.code if unit.parent else None,
        "target_group": unit.target_group,
        "questionnaire": unit.questionnaire_id,
        "form_start": unit.form_start,
        "open_qr": unit.open_qr,
        "active": unit.active,
    }


def _clean(form: dict[str, str]) -> dict[str, str]:
    """The fields under the input rule (services/text.py), white space collapsed."""
    return {k: " ".join(clean_text(form.get(k) or "").split()) for k in FIELDS}


def _check(values: dict[str, str], unit: Unit | None) -> Unit | None:
    """Validate the fields; return the parent (``None`` for a root)."""
    if not CODE_RE.fullmatch(values["code"]):
        raise OrgError(
            _("Mã đơn vị gồm 1–40 ký tự: chữ không dấu, số, dấu chấm, gạch ngang hoặc gạch dưới.")
        )
    taken = db.session.scalar(select(Unit.id).where(Unit.code == values["code"]))
    if taken is not None and (unit is None or taken != unit.id):
        raise OrgError(_("Mã đơn vị %(code)s đã có.", code=values["code"]))
    for key, limit, missing in (
        ("name", NAME_MAX, _("Vui lòng nhập tên đơn vị.")),
        ("place_name", NAME_MAX, _("Vui lòng nhập tên nơi phục vụ ([Nơi] trong phiếu).")),
    ):
        if not values[key]:
            raise OrgError(missing)
        if len(values[key]) > limit:
            raise OrgError(_("Nội dung dài quá %(n)d ký tự.", n=limit))
    if len(values["kind"]) > KIND_MAX:
        raise OrgError(_("Nội dung dài quá %(n)d ký tự.", n=KIND_MAX))
    if values["target_group"] not in TARGET_GROUPS:
        raise OrgError(_("Nhóm đối tượng không hợp lệ."))
    if values["questionnaire"] not in questionnaires():
        raise OrgError(_("Bộ phiếu %(id)s chưa được đăng ký.", id=values["questionnaire"]))
    if values["form_start"] not in ("", *FORM_STARTS):
        raise OrgError(_("Hãy chọn phiếu mở khi quét mã QR: phiếu nhanh hoặc phiếu đầy đủ."))
    if values["open_qr"] not in ("", "1", "0"):
        raise OrgError(_("Hãy chọn có hoặc không nhận đánh giá mở qua mã QR quầy."))
    if not values["parent"]:
        return None
    parent = db.session.scalar(select(Unit).where(Unit.code == values["parent"]))
    if parent is None:
        raise OrgError(_("Không có đơn vị cấp trên mang mã %(code)s.", code=values["parent"]))
    if unit is not None:
        step: Unit | None = parent
        hops = 0
        while step is not None and hops < 10_000:
            if step.id == unit.id:
                raise OrgError(
                    _(
                        "Không thể đặt %(unit)s dưới %(parent)s: %(parent)s là chính "
                        "nó hoặc một đơn vị cấp dưới của nó, cây đơn vị sẽ thành "
                        "vòng lặp.",
                        unit=unit.code,
                        parent=parent.code,
                    )
                )
            step, hops = step.parent, hops + 1
    return parent


def _apply(unit: Unit, values: dict[str, str], parent: Unit | None) -> None:
    unit.code, unit.name, unit.kind = values["code"], values["name"], values["kind"]
    unit.place_name, unit.parent = values["place_name"], parent
    unit.target_group, unit.questionnaire_id = values["target_group"], values["questionnaire"]
    # Not sent (an older form, a script): the unit keeps its setting, a new unit the default.
    unit.form_start = values["form_start"] or unit.form_start or FORM_STARTS[0]
    if values["open_qr"] or unit.id is None:  # not sent: kept (a new unit: on)
        unit.open_qr = values["open_qr"] != "0"


def _commit() -> None:
    db.session.commit()
    org.forget_cached_counters()


def add_unit(actor: User, form: dict[str, str]) -> Unit:
    values = _clean(form)
    parent = _check(values, None)
    unit = Unit(active=True)
    _apply(unit, values, parent)
    db.session.add(unit)
    db.session.flush()
    audit.record(actor, "unit.add", "unit", unit.id, None, _state(unit))
    _commit()
    return unit


def update_unit(actor: User, unit: Unit, form: dict[str, str]) -> bool:
    """Save the edit form; ``False`` when nothing changed (nothing is logged then)."""
    values = _clean(form)
    parent = _check(values, unit)
    before = _state(unit)
    _apply(unit, values, parent)
    after = _state(unit)
    if after == before:
        return False
    changed = [k for k in after if after[k] != before[k]]
    audit.record(
        actor,
        "unit.edit",
        "unit",
        unit.id,
        {k: before[k] for k in changed},
        {k: after[k] for k in changed},
    )
    _commit()
    return True


def set_active(actor: User, unit: Unit, active: bool) -> None:
    """(De)activate one unit: an inactive unit's counters stop taking responses; the units
    below it are not changed."""
    if unit.active == active:
        raise OrgError(_("Đơn vị đang hoạt động.") if active else _("Đơn vị đã ngừng hoạt động."))
    unit.active = active
    audit.record(
        actor,
        "unit.activate" if active else "unit.deactivate",
        "unit",
        unit.id,
        {"active": not active},
        {"active": active},
    )
    _commit()


def form_of(unit: Unit) -> dict[str, str]:
    """The edit form's values for a unit."""
    return {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "place_name": unit.place_name,
        "parent": unit.parent.code if unit.parent else "",
        "target_group": unit.target_group,
        "questionnaire": unit.questionnaire_id,
        "form_start": unit.form_start,
        "open_qr": "1" if unit.open_qr else "0",
    }


def labels(unit_ids: list[str]) -> dict[str, str]:
    """Unit id (as logged) → "CODE – name", for the audit log page."""
    ids = [int(i) for i in unit_ids if i.isdigit()]
    rows = db.session.execute(select(Unit.id, Unit.code, Unit.name).where(Unit.id.in_(ids)))
    return {str(uid): f"{code} – {name}" for uid, code, name in rows}


OPENING_HOURS_MAX = 60


def set_opening_hours(actor: User, unit: Unit, value: str) -> bool:
    """Set the unit's own opening hours (empty: the setting ``KIOSK_OPENING_HOURS``),
    checked with :meth:`OpeningHours.parse` and stored in its plain form; audited. Returns
    whether anything changed; :class:`OrgError` for a value that is not opening hours."""
    raw = " ".join(clean_text(value or "").split())
    new: str | None = None
    if raw:
        try:
            if len(raw) > OPENING_HOURS_MAX:
                raise ValueError(raw)
            new = str(OpeningHours.parse(raw))
        except ValueError:
            raise OrgError(
                _(
                    "Giờ làm việc “%(value)s” không hợp lệ. Hãy viết các ngày trong tuần "
                    "(1 = thứ Hai … 7 = Chủ nhật), một dấu cách, rồi giờ mở và giờ đóng cửa, "
                    "ví dụ “1-5 07:30-17:00” hoặc “1,2,3,4,5,6 07:00-11:30”.",
                    value=raw[:OPENING_HOURS_MAX],
                )
            ) from None
    if new == unit.opening_hours:
        return False
    audit.record(
        actor,
        "unit.opening_hours",
        "unit",
        unit.id,
        {"opening_hours": unit.opening_hours or ""},
        {"opening_hours": new or ""},
    )
    unit.opening_hours = new
    _commit()
    return True
