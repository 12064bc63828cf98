"""Report jobs: build a report pack on the task queue and share its progress through the DB.

Why this module is long: a job's whole life — who may ask, enqueue, the run in the worker
with its throttled progress and heartbeat, the files it leaves, how a dead job is found and
retried or failed, pruning — works on one shared state (the ``ReportJob`` row).

``start`` records a :class:`~survey_app.models.ReportJob`, puts a ``report.run`` task on the
queue (:mod:`survey_app.services.queue`) and returns at once; ``sipas worker`` runs it
(:func:`run`): it claims the row, builds the report (:mod:`survey_app.services.reports`),
writes the XLSX, PDF, DOCX and ZIP files, the charts and the rendered HTML content into
``<REPORTS_DIR>/<job id>/`` and writes its progress to the row (at most about once a
second) with a heartbeat every few seconds. Any server process answers a poll from the row
alone, so a job survives a restart of the web server.

Limits: one unfinished job per user — the unique ``active_user_id`` column refuses a second
one even when two requests race in two processes; the worker's threads (``sipas worker
--threads``) say how many run at once, the others wait (``queued``).

A worker killed in the middle: :func:`recover` (at the worker's start and every minute,
a periodic task) finds a running job whose worker process has gone (on this machine: its pid;
elsewhere: no heartbeat for ``REPORT_JOB_TIMEOUT_SECONDS``) and queues it again, up to
``REPORT_JOB_ATTEMPTS`` runs, else marks it failed. A page shows a running job silent for
twice that timeout as failed, whether or not a worker is left to notice.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import socket
import threading
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app, render_template, url_for
from flask_babel import force_locale, gettext
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from survey_app.extensions import db
from survey_app.models import ReportJob, Unit, User
from survey_app.models.base import utcnow
from survey_app.services import queue, reports
from survey_app.services.access.capabilities import Capability, can, roles_with
from survey_app.services.access.scope import visible_unit_ids
from survey_app.services.org import subtree_ids

log = logging.getLogger(__name__)

# What the job page offers, in this order; the file names on disk are fixed.
DOWNLOADS = ("xlsx", "pdf", "docx", "zip")
FILE_NAMES = {
    "xlsx": "bao-cao.xlsx",
    "pdf": "bao-cao.pdf",
    "docx": "bao-cao.docx",
    "zip": "bao-cao.zip",
}
CONTENT_FILE = "noi-dung.html"
CHARTS_DIR = "bieu-do"
KEEP_PER_USER = 10  # older finished jobs of a user are deleted with their files
HEARTBEAT_SECONDS = 5.0
PROGRESS_SECONDS = 1.0  # progress is written at most this often (the first and last always)
MESSAGE_LENGTH = 200  # ReportJob.message
TASK = "report.run"  # the queue's task (registered in services.tasks)

_HOST = socket.gethostname()
_tokens: dict[int, str] = {}  # pid → a random token: this process, not a later one (or a
# forked sibling) that happens to get the same pid
_running: set[tuple[str, int]] = set()  # (database URL, job id) run by a thread of this process
_running_lock = threading.Lock()


def process_token() -> str:
    return _tokens.setdefault(os.getpid(), secrets.token_hex(6))


def N_(text: str) -> str:  # noqa: N802 - the gettext marker: extracted, translated on display
    return text


# Stored on the row in Vietnamese (the msgid); pages show them through gettext (``shown``).
MSG_QUEUED = N_("Đang chờ đến lượt…")
MSG_STARTING = N_("Đang bắt đầu…")
MSG_WRITING = N_("Đang ghi các tệp báo cáo…")
MSG_DONE = N_("Đã xong.")
MSG_FAILED = N_(
    "Không lập được báo cáo do một lỗi trong hệ thống. Hãy thử lại; nếu vẫn lỗi, "
    "hãy báo cho quản trị viên."
)
MSG_STALE = N_(
    "Việc lập báo cáo bị gián đoạn (máy chủ đã khởi động lại hoặc dừng). Hãy lập lại báo cáo."
)
MSG_RETRYING = N_("Việc lập báo cáo bị gián đoạn; đang lập lại…")
MSG_QUEUE_DOWN = N_(
    "Không gửi được yêu cầu lập báo cáo (hàng đợi công việc không hoạt động). Hãy thử lại sau "
    "ít phút; nếu vẫn lỗi, hãy báo cho quản trị viên."
)


def stored(msgid: str, params: dict[str, Any] | None = None) -> str:
    """What the row keeps for a message: the Vietnamese msgid itself, or — when it has
    ``%(name)s`` placeholders — a small JSON ``{"msgid": …, "params": {…}}``, so that
    :func:`shown` can translate it when a page shows it."""
    if not params:
        return msgid
    return json.dumps({"msgid": msgid, "params": params}, ensure_ascii=False)


def _parts(text: str) -> tuple[str, dict[str, Any]]:
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if (
            isinstance(data, dict)
            and isinstance(data.get("msgid"), str)
            and isinstance(data.get("params"), dict)
        ):
            return data["msgid"], data["params"]
    return text, {}


def vietnamese(text: str) -> str:
    """A stored message as Vietnamese text (the msgid with its parameters filled in)."""
    msgid, params = _parts(text)
    try:
        return msgid % params if params else msgid
    except (KeyError, TypeError, ValueError):
        return msgid


def shown(text: str | None) -> str | None:
    """A stored message (progress or error) in the language of the current request.

    The engine's and this module's texts are msgids with an English translation; any other
    (free-form) text has none and stays as it was written."""
    if not text:
        return text
    msgid, params = _parts(text)
    translated = str(gettext(msgid))
    if not params:
        return translated
    try:
        return str(translated % params)
    except (KeyError, TypeError, ValueError):  # a broken translation: the Vietnamese text
        return vietnamese(text)


class JobBusy(Exception):
    """The user already has an unfinished job (``job``)."""

    def __init__(self, job: ReportJob | None) -> None:
        super().__init__("busy")
        self.job = job


@dataclass(frozen=True)
class JobRequest:
    """What a job is asked to make (the ``ReportSpec`` fields) and for whom."""

    period: str
    cutoff: str = "calendar"
    unit_code: str | None = None
    integrity: bool = False
    unit_ids: tuple[int, ...] | None = None  # the user's scope; None = every unit
    locale: str = "vi"
    base_url: str = "http://localhost/"  # the asking request's root, for links in the HTML


def _engine() -> Any:
    """The report engine (its numpy, matplotlib… load on first use); tests replace it."""
    return reports


# --- who may ask for what -------------------------------------------------------------------

# The roles that report on the units at and below them (a role that sees every unit: on all).
REPORT_ROLES = roles_with(Capability.MAKE_REPORTS) - roles_with(Capability.SEE_ALL_UNITS)


def _roots(user: User, roles: frozenset[str]) -> list[int]:
    return [
        a.unit_id
        for a in user.roles
        if a.role in roles and a.unit_id is not None and a.counter_id is None
    ]


def report_unit_ids(user: User) -> set[int] | None:
    """Units a user may report on: below their office and inspector roles (``None``: every
    unit, an admin); never more than :func:`.scope.visible_unit_ids`."""
    if can(user, Capability.SEE_ALL_UNITS):
        return None
    visible = visible_unit_ids(user)
    ids = set(subtree_ids(_roots(user, REPORT_ROLES)))
    return ids if visible is None else ids & visible


def integrity_for(user: User, unit_id: int | None) -> bool:
    """Integrity rates go into a report only for a unit inside the user's inspector scope."""
    if unit_id is None:
        return False
    return unit_id in set(subtree_ids(_roots(user, roles_with(Capability.INTEGRITY_IN_REPORTS))))


def units(ids: set[int] | None) -> list[Unit]:
    """The units of a scope (``None``: every unit), by code: the form's choices."""
    query = select(Unit).order_by(Unit.code)
    if ids is not None:
        query = query.where(Unit.id.in_(ids))
    return list(db.session.scalars(query))


def unit_by_code(code: str) -> Unit | None:
    return db.session.scalar(select(Unit).where(Unit.code == code))


# --- files ------------------------------------------------------------------------------


def reports_dir(app: Flask | None = None) -> Path:
    app = app or current_app
    configured = str(app.config.get("REPORTS_DIR") or "")
    return Path(configured) if configured else Path(app.instance_path) / "reports"


def job_dir(job_id: int, app: Flask | None = None) -> Path:
    return reports_dir(app) / str(int(job_id))


def file_path(job: ReportJob, fmt: str) -> Path | None:
    """The path of a finished job's file, or ``None`` when it has no such file."""
    if job.status != "done" or fmt not in FILE_NAMES or fmt not in (job.files or []):
        return None
    path = job_dir(job.id) / FILE_NAMES[fmt]
    return path if path.is_file() else None


def chart_path(job: ReportJob, key: str) -> Path | None:
    if job.status != "done" or not key.isidentifier():
        return None
    path = job_dir(job.id) / CHARTS_DIR / f"{key}.svg"
    return path if path.is_file() else None


def content_html(job: ReportJob) -> str | None:
    """The report content rendered when the job ran (``None`` when it is not there)."""
    if job.status != "done":
        return None
    path = job_dir(job.id) / CONTENT_FILE
    return path.read_text(encoding="utf-8") if path.is_file() else None


# --- reading, with dead jobs shown as failed -----------------------------------------------


def _db_key() -> str:
    return str(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _timeout() -> float:
    return float(current_app.config.get("REPORT_JOB_TIMEOUT_SECONDS") or 120)


def _worker_gone(job: ReportJob, now: datetime) -> bool:
    """The worker that runs ``job`` has gone: silent past the timeout, or — on this
    machine — its process is not there any more (or is not the one that claimed it)."""
    if job.heartbeat_at < now - timedelta(seconds=_timeout()):
        return True
    host, _, rest = job.worker.partition(":")
    pid_text, _, token = rest.partition(":")
    if host != _HOST or not pid_text.isdigit():
        return False  # another machine: only the heartbeat tells
    pid = int(pid_text)
    if pid == os.getpid():
        if token != process_token():
            return True  # an earlier process that had our pid
        with _running_lock:
            return (_db_key(), job.id) not in _running
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _fail_stale(job: ReportJob, now: datetime) -> bool:
    result = db.session.execute(
        update(ReportJob)
        .where(
            ReportJob.id == job.id,
            ReportJob.status == "running",
            ReportJob.heartbeat_at == job.heartbeat_at,
        )
        .values(status="failed", error=MSG_STALE, finished_at=now, active_user_id=None)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def expire_dead(jobs: list[ReportJob]) -> None:
    """Show a running job silent for twice the timeout as failed (in the database too):
    no worker is left to retry it."""
    now = utcnow()
    limit = now - timedelta(seconds=2 * _timeout())
    changed = False
    for job in jobs:
        if job.status == "running" and job.heartbeat_at < limit:
            changed = _fail_stale(job, now) or changed
    if changed:
        db.session.commit()  # expires the loaded jobs: they are read again on use


def recover() -> dict[str, int]:
    """Queue again (or fail, after ``REPORT_JOB_ATTEMPTS`` runs) the running jobs whose worker
    has gone. Run by the worker at its start and every minute."""
    attempts = int(current_app.config.get("REPORT_JOB_ATTEMPTS") or 2)
    now = utcnow()
    done = {"retried": 0, "failed": 0}
    running = db.session.scalars(select(ReportJob).where(ReportJob.status == "running")).all()
    for job in running:
        if not _worker_gone(job, now):
            continue
        if job.attempts >= attempts or not job.request:  # (no request: made before 0015)
            if _fail_stale(job, now):
                done["failed"] += 1
                log.warning("report job %s: its worker has gone, failed", job.id)
            continue
        result = db.session.execute(
            update(ReportJob)
            .where(
                ReportJob.id == job.id,
                ReportJob.status == "running",
                ReportJob.heartbeat_at == job.heartbeat_at,
            )
            .values(status="queued", message=MSG_RETRYING, worker="", heartbeat_at=now)
            .execution_options(synchronize_session=False)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            continue
        db.session.commit()
        log.warning("report job %s: its worker has gone, queued again", job.id)
        request = job.request or {}
        _enqueue(job.id, request)
        done["retried"] += 1
    db.session.commit()
    return done


def get(job_id: int) -> ReportJob | None:
    job = db.session.get(ReportJob, job_id)
    if job is not None:
        expire_dead([job])
    return job


def recent(user: User, limit: int = KEEP_PER_USER) -> list[ReportJob]:
    jobs = list(
        db.session.scalars(
            select(ReportJob)
            .where(ReportJob.user_id == user.id)
            .order_by(ReportJob.id.desc())
            .limit(limit)
        )
    )
    expire_dead(jobs)
    return jobs


def active(user: User) -> ReportJob | None:
    job = db.session.scalar(select(ReportJob).where(ReportJob.active_user_id == user.id))
    if job is not None:
        expire_dead([job])
        if job.finished:
            return None
    return job


# --- starting -------------------------------------------------------------------------------


def start(user: User, request: JobRequest) -> ReportJob:
    """Record a job and put it on the queue; returns at once (in the queue's immediate mode,
    once it has run). :class:`JobBusy` when the user already has an unfinished job; a queue
    that cannot be reached leaves the job failed with :data:`MSG_QUEUE_DOWN`."""
    running = active(user)
    if running is not None:
        raise JobBusy(running)
    _prune(user)
    job = ReportJob(
        user_id=user.id,
        period=request.period,
        cutoff=request.cutoff,
        unit_code=request.unit_code,
        integrity=request.integrity,
        status="queued",
        progress=0.0,
        message=MSG_QUEUED,
        files=[],
        worker="",
        active_user_id=user.id,
        request=asdict(request),
    )
    db.session.add(job)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise JobBusy(active(user)) from None
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise JobBusy(active(user)) from None
    try:
        _enqueue(job.id, job.request or {})
    except Exception:
        log.exception("report job %s: not queued", job.id)
        _finish_failed(job.id, MSG_QUEUE_DOWN)
    db.session.refresh(job)
    return job


def _enqueue(job_id: int, request: dict[str, Any]) -> None:
    queue.enqueue(TASK, job_id, request)


def _prune(user: User) -> None:
    """Delete the user's finished jobs beyond the most recent ``KEEP_PER_USER - 1``."""
    old = list(
        db.session.scalars(
            select(ReportJob.id)
            .where(ReportJob.user_id == user.id, ReportJob.status.in_(("done", "failed")))
            .order_by(ReportJob.id.desc())
            .offset(KEEP_PER_USER - 1)
        )
    )
    if not old:
        return
    db.session.execute(delete(ReportJob).where(ReportJob.id.in_(old)))
    db.session.commit()
    for job_id in old:
        shutil.rmtree(job_dir(job_id), ignore_errors=True)


# --- running --------------------------------------------------------------------------------


class _Reporter:
    """Writes progress and heartbeats to the job's row through short separate transactions
    (never through the session the engine reads with)."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self._last = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def _write(self, **values: Any) -> None:
        with self._lock, db.engine.begin() as conn:
            conn.execute(
                update(ReportJob)
                .where(ReportJob.id == self.job_id)
                .values(heartbeat_at=utcnow(), **values)
            )

    def set(self, fraction: float, message: str, force: bool = False) -> None:
        """``message``: a msgid, or what :func:`stored` made of one with parameters."""
        now = time.monotonic()
        if not force and now - self._last < PROGRESS_SECONDS:
            return
        self._last = now
        if len(message) > MESSAGE_LENGTH:  # never a cut JSON: the Vietnamese text, cut
            message = vietnamese(message)[:MESSAGE_LENGTH]
        self._write(progress=min(max(float(fraction), 0.0), 1.0), message=message)

    def beat(self) -> None:
        self._write()

    def start_heartbeat(self, app: Flask) -> None:
        def loop() -> None:
            with app.app_context():
                while not self._stop.wait(HEARTBEAT_SECONDS):
                    try:
                        self.beat()
                    except Exception:  # a busy database for a moment: beat next time
                        log.warning(
                            "report job %s: heartbeat not written", self.job_id, exc_info=True
                        )

        self._beat = threading.Thread(target=loop, name=f"report-beat-{self.job_id}", daemon=True)
        self._beat.start()

    def stop_heartbeat(self) -> None:
        self._stop.set()
        if self._beat is not None:
            self._beat.join(HEARTBEAT_SECONDS + 5)


def run(app: Flask, job_id: int, data: dict[str, Any]) -> None:
    """The queue's task: claim the job (a job already taken, finished or deleted is left
    alone) and build it, with a heartbeat while it runs."""
    with app.app_context():
        key = (_db_key(), job_id)
        if not _claim(job_id):
            db.session.remove()
            return
        with _running_lock:
            _running.add(key)
        reporter = _Reporter(job_id)
        reporter.start_heartbeat(app)
        try:
            request = JobRequest(**{**data, "unit_ids": _ids(data.get("unit_ids"))})
            _execute(app, job_id, request, reporter)
        except Exception as exc:
            log.exception("report job %s failed", job_id)
            db.session.rollback()
            _finish_failed(job_id, _user_message(exc))
        finally:
            reporter.stop_heartbeat()
            with _running_lock:
                _running.discard(key)
            db.session.remove()


def _ids(value: Any) -> tuple[int, ...] | None:
    return None if value is None else tuple(int(v) for v in value)


def _claim(job_id: int) -> bool:
    now = utcnow()
    result = db.session.execute(
        update(ReportJob)
        .where(ReportJob.id == job_id, ReportJob.status == "queued")
        .values(
            status="running",
            started_at=now,
            heartbeat_at=now,
            message=MSG_STARTING,
            worker=f"{_HOST}:{os.getpid()}:{process_token()}",
            attempts=ReportJob.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _user_message(exc: Exception) -> str:
    """The engine's own message for the user (its msgid and parameters, shown translated
    when it is a fixed text), else :data:`MSG_FAILED`."""
    reports = _engine()
    error_type = getattr(reports, "ReportError", None)
    if error_type is None or not isinstance(exc, error_type):
        return MSG_FAILED
    msgid = getattr(exc, "msgid", None)
    params = getattr(exc, "params", None)
    if isinstance(msgid, str) and (params is None or isinstance(params, dict)):
        return stored(msgid, params)
    return str(exc)[:1000]  # free-form, in Vietnamese


def _execute(app: Flask, job_id: int, request: JobRequest, reporter: _Reporter) -> None:
    reports = _engine()
    spec = reports.ReportSpec(
        period=request.period,
        cutoff=request.cutoff,
        unit_code=request.unit_code,
        integrity=request.integrity,
    )
    spec.validate()

    def progress(fraction: float, message: str) -> None:
        reporter.set(0.02 + 0.68 * fraction, message)  # building: 2–70 %

    report = reports.build(
        spec, list(request.unit_ids) if request.unit_ids is not None else None, progress=progress
    )
    folder = job_dir(job_id, app)
    shutil.rmtree(folder, ignore_errors=True)  # a leftover of a database that was reset
    (folder / CHARTS_DIR).mkdir(parents=True)
    steps = len(DOWNLOADS) + 1
    reporter.set(0.70, MSG_WRITING, force=True)
    _write_html(app, reports, report, folder, request)
    written = iter(range(1, steps))

    def step(_fmt: str) -> None:
        reporter.set(0.70 + 0.30 * next(written, steps - 1) / steps, MSG_WRITING, force=True)

    # The XLSX and the PDF are rendered once each; the zip holds those same files.
    reports.write_pack(
        report, folder, {fmt: FILE_NAMES[fmt] for fmt in DOWNLOADS}, step, _letterhead(app)
    )
    db.session.execute(
        update(ReportJob)
        .where(ReportJob.id == job_id)
        .values(
            status="done",
            progress=1.0,
            message=MSG_DONE,
            files=list(DOWNLOADS),
            finished_at=utcnow(),
            heartbeat_at=utcnow(),
            active_user_id=None,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _letterhead(app: Flask) -> Any:
    """The DOCX's letterhead from the settings (``SIPAS_REPORT_AGENCY``…); settings that
    fail its checks are logged and the defaults used: the office edits them in Word."""
    letterhead = reports.letterhead.from_config(app.config)
    try:
        letterhead.validate()
    except ValueError as exc:
        log.warning("SIPAS_REPORT_* settings ignored in the DOCX: %s", exc)
        return reports.Letterhead()
    return letterhead


def _write_html(app: Flask, reports: Any, report: Any, folder: Path, request: JobRequest) -> None:
    """The charts as SVG files and the content partial rendered once, in the asker's
    language; the page that shows it links the charts through the job's chart route."""
    charts: dict[str, str] = reports.charts_svg(report)
    for key, svg in charts.items():
        if key.isidentifier():
            (folder / CHARTS_DIR / f"{key}.svg").write_text(svg, encoding="utf-8")
    with app.test_request_context("/", base_url=request.base_url), force_locale(request.locale):
        urls = {
            key: url_for("reports_web.chart", job_id=int(folder.name), key=key)
            for key in charts
            if key.isidentifier()
        }
        html = render_template("reports/_content.html", report=report, chart_urls=urls)
    (folder / CONTENT_FILE).write_text(html, encoding="utf-8")


def _finish_failed(job_id: int, message: str) -> None:
    try:
        db.session.execute(
            update(ReportJob)
            .where(ReportJob.id == job_id, ReportJob.status.in_(("queued", "running")))
            .values(
                status="failed",
                error=message,
                finished_at=utcnow(),
                heartbeat_at=utcnow(),
                active_user_id=None,
            )
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    except Exception:
        log.exception("report job %s: could not record the failure", job_id)
        db.session.rollback()
