"""A stand-in report engine for the job machinery's tests, and a finished job for the matrix.

The real engine (``survey_app.services.reports``) is exercised end to end in
``test_real_engine`` and in the browser test; here the engine is replaced so that a test can
hold a job in the middle of its work, make it fail, and check what it was asked for.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from jinja2 import ChoiceLoader, DictLoader

from survey_app.extensions import db
from survey_app.models import ReportJob, User
from survey_app.models.base import utcnow
from survey_app.services.reports import jobs as report_jobs
from survey_app.services.reports.spec import ReportSpec

CONTENT = (
    '<section class="fake-report"><h2>Báo cáo {{ report.spec.period }}</h2>'
    '{% for key, url in chart_urls.items() %}<img alt="{{ key }}" src="{{ url }}">'
    "{% endfor %}<p>{{ report.note }}</p></section>"
)


class FakeReportError(ValueError):
    pass


@dataclass
class FakeReport:
    spec: ReportSpec
    note: str = "<script>alert(1)</script> Tiếng Việt"


@dataclass
class FakeEngine:
    """build() reports 50 % (with ``message``) and may wait for ``gate`` or raise ``fail``;
    write() writes a few bytes naming the format."""

    fail: Exception | None = None
    gate: threading.Event | None = None
    calls: list[tuple[ReportSpec, list[int] | None]] = field(default_factory=list)
    building: threading.Event = field(default_factory=threading.Event)
    message: str = "Đang tính chỉ số…"  # the progress message sent at 50 %

    ReportSpec = ReportSpec
    ReportError = FakeReportError

    def build(
        self, spec: ReportSpec, unit_ids: list[int] | None = None, progress: Any = None
    ) -> FakeReport:
        self.calls.append((spec, unit_ids))
        if progress is not None:
            progress(0.5, self.message)
        self.building.set()
        if self.gate is not None:
            self.gate.wait(20)
        if self.fail is not None:
            raise self.fail
        return FakeReport(spec)

    def write(self, report: FakeReport, out: Path, fmt: str) -> Path:
        out.write_bytes(f"fake {fmt} {report.spec.period}".encode())
        return out

    def write_pack(
        self,
        report: FakeReport,
        folder: Path,
        names: dict[str, str],
        step: Any = None,
        letterhead: Any = None,
    ) -> dict[str, Path]:
        out = {}
        for fmt, name in names.items():
            if step is not None:
                step(fmt)
            out[fmt] = self.write(report, folder / name, fmt)
        return out

    def charts_svg(self, report: FakeReport) -> dict[str, str]:
        return {"xep_hang": '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'}


def use_fake_content(app: Flask) -> None:
    """Serve the fake report's content partial in place of the engine's."""
    app.jinja_env.loader = ChoiceLoader(
        [DictLoader({"reports/_content.html": CONTENT}), app.jinja_env.loader]
    )  # type: ignore[list-item]


def make_done_job(app: Flask, user: User, unit_code: str | None, folder: Path) -> ReportJob:
    """A finished job of ``user`` with its files, written without running anything."""
    app.config["REPORTS_DIR"] = str(folder)
    job = ReportJob(
        user_id=user.id,
        period="2026-Q1",
        cutoff="calendar",
        unit_code=unit_code,
        integrity=False,
        status="done",
        progress=1.0,
        message=report_jobs.MSG_DONE,
        files=list(report_jobs.DOWNLOADS),
        worker="",
        started_at=utcnow() - timedelta(seconds=20),
        finished_at=utcnow(),
    )
    db.session.add(job)
    db.session.commit()
    where = report_jobs.job_dir(job.id, app)
    (where / report_jobs.CHARTS_DIR).mkdir(parents=True, exist_ok=True)
    for fmt, name in report_jobs.FILE_NAMES.items():
        (where / name).write_bytes(f"fake {fmt}".encode())
    (where / report_jobs.CONTENT_FILE).write_text("<p>Nội dung</p>", encoding="utf-8")
    (where / report_jobs.CHARTS_DIR / "xep_hang.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg"/>', encoding="utf-8"
    )
    return job
