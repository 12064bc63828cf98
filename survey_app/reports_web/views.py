"""Report pack views: thin; jobs, scope and files live in ``services.report_jobs``.

Access: ``office`` and ``inspector`` roles (their units and the units below) and ``admin``;
any other signed-in user gets 403, a unit outside the scope 404, another user's job 404.
Inspectors' reports carry the integrity rates; nobody else's do.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response as WerkzeugResponse

from survey_app.auth import requires
from survey_app.models import ReportJob, Unit
from survey_app.reports_web.period import FormError, ReportForm
from survey_app.services import reports
from survey_app.services.access.capabilities import Capability
from survey_app.services.org import subtree_ids
from survey_app.services.reports import jobs as report_jobs

bp = Blueprint("reports_web", __name__, url_prefix="/bao-cao")

MIME = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "zip": "application/zip",
}
REFRESH_SECONDS = 3  # the job page reloads itself this often without JavaScript


@bp.app_template_filter("period_name")
def period_name(job: ReportJob) -> str:
    """``Quý III/2026``, ``6 tháng đầu năm 2026``, ``Năm 2026``, ``1/1/2026–31/3/2026``."""
    try:
        return reports.spec.short_label(job.period)
    except ValueError:
        return job.period


def _period_label(job: ReportJob) -> str:
    """The period with its dates, as the report names it (cut-off included)."""
    try:
        return reports.ReportSpec(job.period, job.cutoff).label()
    except ValueError:
        return job.period


def _units() -> list[Unit]:
    return report_jobs.units(report_jobs.report_unit_ids(current_user))


def _form_page(form: ReportForm, status: int = 200) -> tuple[str, int]:
    return render_template(
        "reports_web/index.html",
        form=form,
        units=_units(),
        jobs=report_jobs.recent(current_user),
        all_units=report_jobs.report_unit_ids(current_user) is None,
        running=report_jobs.active(current_user),
    ), status


def _owned_job(job_id: int) -> ReportJob:
    """The user's own job, still within their scope; anything else is 404."""
    job = report_jobs.get(job_id)
    if job is None or job.user_id != current_user.id:
        abort(404)
    ids = report_jobs.report_unit_ids(current_user)
    if ids is not None:
        unit = report_jobs.unit_by_code(job.unit_code) if job.unit_code else None
        if (
            unit is None
            or unit.id not in ids
            or (job.integrity and not report_jobs.integrity_for(current_user, unit.id))
        ):
            abort(404)
    return job


@bp.get("")
@requires(Capability.MAKE_REPORTS)
def index() -> tuple[str, int]:
    roots = [
        a.unit
        for a in current_user.roles
        if a.role in report_jobs.REPORT_ROLES and a.unit is not None and a.counter_id is None
    ]
    return _form_page(ReportForm.default(roots[0].code if roots else ""))


@bp.post("")
@requires(Capability.MAKE_REPORTS)
def start() -> WerkzeugResponse | tuple[str, int]:
    form = ReportForm.from_form(request.form)
    ids = report_jobs.report_unit_ids(current_user)
    unit = report_jobs.unit_by_code(form.don_vi) if form.don_vi else None
    if form.don_vi and (unit is None or (ids is not None and unit.id not in ids)):
        abort(404)  # outside the scope: not a hint that it exists
    if unit is None and ids is not None:
        form.errors.append(_("Hãy chọn đơn vị của báo cáo."))
        return _form_page(form, 400)
    try:
        job_request = _job_request(form, unit, ids)
    except (FormError, ValueError) as error:
        form.errors.append(str(error))
        return _form_page(form, 400)
    try:
        job = report_jobs.start(current_user, job_request)
    except report_jobs.JobBusy as busy:
        flash(
            _("Bạn đang có một báo cáo chưa lập xong; hãy chờ báo cáo đó xong rồi lập báo cáo mới.")
        )
        if busy.job is None:
            return redirect(url_for("reports_web.index"), 303)
        return redirect(url_for("reports_web.job", job_id=busy.job.id), 303)
    return redirect(url_for("reports_web.job", job_id=job.id), 303)


def _job_request(
    form: ReportForm, unit: Unit | None, ids: set[int] | None
) -> report_jobs.JobRequest:
    """Check the period with the engine's own rules (a Vietnamese ``ValueError``)."""
    integrity = report_jobs.integrity_for(current_user, unit.id if unit else None)
    spec = reports.ReportSpec(
        period=form.period(),
        cutoff=form.cutoff,
        unit_code=unit.code if unit else None,
        integrity=integrity,
    )
    spec.validate()
    scope = (
        None
        if ids is None
        else tuple(sorted(set(subtree_ids([unit.id])) & ids if unit is not None else ids))
    )
    return report_jobs.JobRequest(
        period=spec.period,
        cutoff=spec.cutoff,
        unit_code=spec.unit_code,
        integrity=spec.integrity,
        unit_ids=scope,
        locale=str(get_locale() or "vi"),
        base_url=request.host_url + request.script_root.lstrip("/"),
    )


def _status(job: ReportJob) -> dict[str, Any]:
    """The job's state for the page and its poll: messages in the reader's language."""
    return {
        "id": job.id,
        "status": job.status,
        "progress": round(job.progress, 3),
        "message": report_jobs.shown(job.message) or "",
        "error": report_jobs.shown(job.error) or None,
        "finished": job.finished,
    }


@bp.get("/<int:job_id>")
@requires(Capability.MAKE_REPORTS)
def job(job_id: int) -> str:
    found = _owned_job(job_id)
    return render_template(
        "reports_web/job.html",
        job=found,
        state=_status(found),
        refresh=REFRESH_SECONDS,
        period_label=_period_label(found),
        unit=report_jobs.unit_by_code(found.unit_code) if found.unit_code else None,
    )


@bp.get("/<int:job_id>/trang-thai")
@requires(Capability.MAKE_REPORTS)
def status(job_id: int) -> WerkzeugResponse:
    return jsonify(_status(_owned_job(job_id)))


@bp.get("/<int:job_id>/tai/<fmt>")
@requires(Capability.MAKE_REPORTS)
def download(job_id: int, fmt: str) -> WerkzeugResponse:
    found = _owned_job(job_id)
    path = report_jobs.file_path(found, fmt)
    if path is None:
        abort(404)
    name = f"bao-cao-sipas-{found.period.replace('..', '_')}"
    if found.unit_code:
        name += f"-{found.unit_code}"
    return send_file(
        path, mimetype=MIME[fmt], as_attachment=True, download_name=f"{name}.{fmt}", max_age=0
    )


@bp.get("/<int:job_id>/xem")
@requires(Capability.MAKE_REPORTS)
def view(job_id: int) -> str:
    found = _owned_job(job_id)
    content = report_jobs.content_html(found)
    if content is None:
        abort(404)
    # Our own rendering of the engine's partial (autoescaped when the job ran), read back
    # from the instance folder — never anything a user uploaded.
    return render_template("reports_web/view.html", job=found, content=Markup(content))  # noqa: S704


@bp.get("/<int:job_id>/bieu-do/<key>.svg")
@requires(Capability.MAKE_REPORTS)
def chart(job_id: int, key: str) -> WerkzeugResponse:
    found = _owned_job(job_id)
    path = report_jobs.chart_path(found, key)
    if path is None:
        abort(404)
    return send_file(path, mimetype="image/svg+xml", max_age=0)
