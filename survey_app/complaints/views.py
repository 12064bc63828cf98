"""Complaint views: thin; scoping and permissions live in ``services.complaints``.

Any signed-in user sees the complaints of their scope (404 outside it, and for a conduct
complaint seen through a ``staff`` role only); a step they may not take answers 403; a step
the complaint's state does not allow answers 400.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from survey_app.auth import staff_required
from survey_app.auth.confirm import ask, confirmed
from survey_app.extensions import db
from survey_app.models import Complaint, Response, User, utcnow
from survey_app.models.complaints import KINDS
from survey_app.services import analytics, complaints, formatting
from survey_app.services.clock import VN_TZ
from survey_app.services.complaints import ComplaintError, NotAllowed

bp = Blueprint("complaints", __name__, url_prefix="/phan-anh")

PERIOD_DAYS = 90  # the handling times shown on the list page


@bp.errorhandler(ComplaintError)
def bad_step(error: ComplaintError) -> tuple[str, int]:
    return render_template(
        "errors/error.html", title=_("Yêu cầu không hợp lệ"), message=str(error)
    ), 400


@bp.errorhandler(NotAllowed)
def not_allowed(_error: NotAllowed) -> tuple[str, int]:
    return render_template(
        "errors/error.html",
        title=_("Không có quyền"),
        message=_("Tài khoản của bạn không được làm việc này."),
    ), 403


@bp.errorhandler(404)
def not_found(_error: Any) -> tuple[str, int]:
    return render_template(
        "errors/error.html", title=_("Không tìm thấy"), message=_("Không tìm thấy phản ánh này.")
    ), 404


@bp.app_context_processor
def complaint_helpers() -> dict[str, Any]:
    """For the staff page's comment list: which are marked (who may mark: ``can``)."""

    def marks(ids: list[int]) -> dict[int, int]:
        return complaints.marked(current_user, ids)

    return {"complaint_marks": marks, "vn_tz": VN_TZ}


def _visible(complaint_id: int) -> Complaint:
    found = complaints.get_visible(current_user, complaint_id)
    if found is None:
        abort(404)
    return found


def _to_detail(complaint: Complaint) -> WerkzeugResponse:
    return redirect(url_for("complaints.detail", complaint_id=complaint.id), 303)


def _period() -> tuple[analytics.periods.PeriodChoice, tuple[date, date] | None, str | None]:
    """The period picker's choice (default: this quarter) and its days, or the error."""
    # analytics is reached lazily (the numeric stack stays out of every command's start-up)
    periods = analytics.periods
    if periods.PeriodChoice.picked(request.args):
        choice = periods.PeriodChoice.from_data(request.args)
    else:
        today = datetime.now(VN_TZ).date()
        choice = periods.PeriodChoice(nam=str(today.year), quy=str((today.month - 1) // 3 + 1))
    try:
        return choice, periods.period_dates(choice.label(), choice.cutoff), None
    except ValueError as error:
        return choice, None, str(error)


@bp.get("")
@staff_required
def index() -> tuple[str, int]:
    status = request.args.get("trang_thai", "").strip() or None
    rows = complaints.list_visible(current_user, status)
    now = utcnow()
    due_days = complaints.due_days_setting()
    times = complaints.handling_times(current_user, now - timedelta(days=PERIOD_DAYS), now, now)
    choice, days, error = _period()
    on_time = complaints.on_time_for(current_user, *days, now) if days else []
    return render_template(
        "complaints/list.html",
        rows=rows,
        status=status,
        times=times,
        period_days=PERIOD_DAYS,
        due_days=due_days,
        choice=choice,
        days=days,
        period_error=error,
        on_time=on_time,
    ), (400 if error else 200)


@bp.get("/<int:complaint_id>")
@staff_required
def detail(complaint_id: int) -> str:
    complaint = _visible(complaint_id)
    manage = complaints.may_manage(current_user, complaint)
    return render_template(
        "complaints/detail.html",
        c=complaint,
        events=complaints.history(complaint),
        manage=manage,
        may_answer=complaints.may_answer(current_user, complaint),
        candidates=complaints.candidates(complaint) if manage else [],
        answer_max=complaints.ANSWER_MAX,
        undo_until=complaints.undo_until(current_user, complaint)
        if complaints.may_undo(current_user, complaint)
        else None,
        may_withdraw=complaints.may_withdraw(current_user, complaint),
        dossier=complaints.dossier_link(current_user, complaint),  # audited when shown
        now=utcnow(),
    )


@bp.post("/danh-dau/<int:response_id>")
@staff_required
def mark(response_id: int) -> WerkzeugResponse | tuple[str, int]:
    response = complaints.get_markable_response(current_user, response_id)
    if response is None:
        abort(404)
    kind = request.form.get("kind", "")
    if not confirmed():
        if not complaints.may_mark(current_user, response):
            raise NotAllowed
        return _ask_mark(response, kind)
    complaint = complaints.mark(response, kind, current_user)
    flash(
        _(
            "Đã đánh dấu góp ý là phản ánh. Nếu nhầm, bạn có thể huỷ trong %(n)d phút.",
            n=complaints.undo_minutes_setting(),
        )
        if complaints.get_visible(current_user, complaint.id) is not None
        else _("Đã đánh dấu góp ý là phản ánh về thái độ cán bộ.")
    )
    if complaints.get_visible(current_user, complaint.id) is None:  # conduct, marked by staff
        return redirect(url_for("complaints.index"), 303)
    return _to_detail(complaint)


def _ask_mark(response: Response, kind: str) -> tuple[str, int]:
    if kind not in KINDS:
        raise ComplaintError(_("Loại phản ánh không hợp lệ."))
    text = formatting.masked(response.comment)  # staff never read phone or ID numbers
    excerpt = text if len(text) <= 200 else text[:200] + "…"
    if kind == "thai_do":
        consequence = _(
            "Góp ý trở thành phản ánh về thái độ cán bộ: chỉ lãnh đạo bộ phận, văn phòng và thanh "
            "tra thấy và xử lý; công chức một cửa không còn thấy góp ý này, kể cả người đánh "
            "dấu. Nếu nhầm, chỉ lãnh đạo bộ phận rút lại được."
        )
    else:
        consequence = _(
            "Góp ý trở thành phản ánh cần xử lý và trả lời; lãnh đạo bộ phận thấy và giao xử "
            "lý. Bạn có thể huỷ đánh dấu trong %(n)d phút; sau đó chỉ lãnh đạo bộ phận rút lại "
            "được.",
            n=complaints.undo_minutes_setting(),
        )
    return ask(
        title=_("Đánh dấu góp ý này là phản ánh?"),
        thing=_("Góp ý: “%(text)s”", text=excerpt),
        consequence=consequence,
        button=_("Đánh dấu là phản ánh"),
        back=url_for("staff.home"),
    )


@bp.post("/<int:complaint_id>/rut-lai")
@staff_required
def withdraw(complaint_id: int) -> WerkzeugResponse:
    complaint = _visible(complaint_id)
    complaints.withdraw(complaint, current_user, request.form.get("note", ""))
    flash(_("Đã rút lại phản ánh; góp ý có thể được đánh dấu lại khi cần."))
    return _to_detail(complaint)


@bp.post("/<int:complaint_id>/giao")
@staff_required
def assign(complaint_id: int) -> WerkzeugResponse:
    complaint = _visible(complaint_id)
    raw = request.form.get("assignee", "").strip()
    user = db.session.get(User, int(raw)) if raw.isdigit() and len(raw) < 12 else None
    if not complaints.may_manage(current_user, complaint):
        raise NotAllowed
    if user is None:
        raise ComplaintError(_("Vui lòng chọn người được giao."))
    complaints.assign(complaint, user, current_user)
    flash(_("Đã giao phản ánh cho %(name)s.", name=user.username))
    return _to_detail(complaint)


@bp.post("/<int:complaint_id>/tra-loi")
@staff_required
def answer(complaint_id: int) -> WerkzeugResponse:
    complaint = _visible(complaint_id)
    complaints.answer(complaint, request.form.get("answer", ""), current_user)
    flash(_("Đã lưu câu trả lời."))
    return _to_detail(complaint)


@bp.post("/<int:complaint_id>/dong")
@staff_required
def close(complaint_id: int) -> WerkzeugResponse:
    complaint = _visible(complaint_id)
    complaints.close(complaint, current_user)
    flash(_("Đã đóng phản ánh."))
    return _to_detail(complaint)


@bp.post("/<int:complaint_id>/mo-lai")
@staff_required
def reopen(complaint_id: int) -> WerkzeugResponse:
    complaint = _visible(complaint_id)
    complaints.reopen(complaint, current_user, request.form.get("note", ""))
    flash(_("Đã mở lại phản ánh."))
    return _to_detail(complaint)
