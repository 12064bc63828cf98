"""The working-day calendar the admin edits (the ``holidays`` table): list by year, add,
remove (audited), and :func:`calendar` for ``services.workdays``' arithmetic.

:func:`calendar` reads the table once per request (kept on ``flask.g``); outside a request
(the worker's tasks) it reads it on each call, i.e. once per task run. An empty table (a
database not migrated to 0019 yet, or every row removed) falls back to no holidays at all:
the admin's data is the truth, not the shipped file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import g, has_app_context
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from survey_app.extensions import db
from survey_app.models import Holiday, User
from survey_app.models.calendar import HOLIDAY_KINDS
from survey_app.services.errors import InputError
from survey_app.services.org import audit
from survey_app.services.workdays import Calendar

NAME_MAX = 120


class HolidayError(InputError):
    """Bad input for a holiday (the message is for the user, in Vietnamese)."""


def calendar() -> Calendar:
    """The days off and make-up working days of the ``holidays`` table (cached per request)."""
    cached = g.get("_sipas_calendar") if has_app_context() else None
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    rows = db.session.execute(select(Holiday.day, Holiday.kind)).all()
    found = Calendar(
        off=frozenset(d for d, k in rows if k == "nghi"),
        make_up=frozenset(d for d, k in rows if k == "lam_bu"),
    )
    if has_app_context():
        g._sipas_calendar = found
    return found


def forget() -> None:
    """Drop the request's cached calendar (after a change)."""
    if has_app_context():
        g.pop("_sipas_calendar", None)


def by_year() -> dict[int, list[Holiday]]:
    """Every row, grouped by year, newest year first, days in order."""
    out: dict[int, list[Holiday]] = {}
    for row in db.session.scalars(select(Holiday).order_by(Holiday.day)):
        out.setdefault(row.day.year, []).append(row)
    return dict(sorted(out.items(), reverse=True))


@dataclass(frozen=True)
class HolidayInput:
    day: str
    name: str
    kind: str


def add(actor: User, data: HolidayInput) -> Holiday:
    """Add one day (audited); :class:`HolidayError` for a bad date, kind or a duplicate."""
    try:
        day = date.fromisoformat(data.day.strip())
    except ValueError:
        raise HolidayError(_("Ngày không hợp lệ: hãy nhập theo dạng năm-tháng-ngày.")) from None
    if not 2000 <= day.year <= 2100:
        raise HolidayError(_("Năm phải từ 2000 đến 2100."))
    if data.kind not in HOLIDAY_KINDS:
        raise HolidayError(_("Loại ngày không hợp lệ."))
    name = " ".join(data.name.split())
    if not name:
        raise HolidayError(_("Vui lòng nhập tên ngày nghỉ."))
    if len(name) > NAME_MAX:
        raise HolidayError(_("Tên dài quá %(n)d ký tự.", n=NAME_MAX))
    if data.kind == "nghi" and day.weekday() >= 5:
        raise HolidayError(_("Thứ Bảy và Chủ nhật đã là ngày nghỉ; chỉ ghi ngày thường."))
    if data.kind == "lam_bu" and day.weekday() < 5:
        raise HolidayError(_("Ngày làm bù phải là thứ Bảy hoặc Chủ nhật."))
    if db.session.scalar(select(Holiday.id).where(Holiday.day == day)) is not None:
        raise HolidayError(_("Ngày %(day)s đã có trong lịch.", day=day.strftime("%d/%m/%Y")))
    row = Holiday(day=day, name=name, kind=data.kind)
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:  # added at the same moment by someone else
        db.session.rollback()
        raise HolidayError(
            _("Ngày %(day)s đã có trong lịch.", day=day.strftime("%d/%m/%Y"))
        ) from None
    audit.record(actor, "holiday.add", "holiday", row.id, None, _dict(row))
    db.session.commit()
    forget()
    return row


def remove(actor: User, holiday_id: int) -> Holiday | None:
    """Remove one day (audited); ``None`` when there is no such row."""
    row = db.session.get(Holiday, holiday_id)
    if row is None:
        return None
    audit.record(actor, "holiday.remove", "holiday", row.id, _dict(row), None)
    db.session.delete(row)
    db.session.commit()
    forget()
    return row


def _dict(row: Holiday) -> dict[str, str]:
    return {"day": row.day.isoformat(), "name": row.name, "kind": row.kind}
