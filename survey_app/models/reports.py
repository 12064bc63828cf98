"""Report jobs: a report pack asked for in the web app and built in the background.

The row is the state every process shares: the worker (``sipas worker``) that runs the job
from the queue writes its progress here; a poll that reaches any server process reads it from
here. The files live in the instance folder (``reports/<id>/``), never web-served
directly: the download route checks the owner first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.models.accounts import User
from survey_app.models.base import Base, UTCDateTime, utcnow

JOB_STATUSES = ("queued", "running", "done", "failed")
CUTOFFS = ("calendar", "report")


class ReportJob(Base):
    """One report pack: who asked, for what, how far it got, which files it left."""

    __tablename__ = "report_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The ReportSpec, field by field.
    period: Mapped[str] = mapped_column(String(40))
    cutoff: Mapped[str] = mapped_column(String(10), default="calendar")
    unit_code: Mapped[str | None] = mapped_column(String(40))
    integrity: Mapped[bool] = mapped_column(Boolean, default=False)

    status: Mapped[str] = mapped_column(String(10), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(String(200), default="")
    error: Mapped[str | None] = mapped_column(Text)  # for the user: a Vietnamese msgid, or
    # JSON {"msgid", "params"} when it has values (translated when shown: report_jobs.shown)
    files: Mapped[list[str]] = mapped_column(JSON, default=list)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Last sign of life from the process running the job (a dead process stops updating it).
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # host:pid:process-token of the runner, to recognise a job whose process has gone.
    worker: Mapped[str] = mapped_column(String(200), default="")
    # The owner's id while the job is queued or running, NULL after: the unique constraint
    # refuses a user's second running job even when two requests race in two processes.
    active_user_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    # What the queue's task was asked (the JobRequest as JSON), to queue it again after a
    # worker died in the middle; and how many runs were started.
    request: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    user: Mapped[User] = relationship()

    __table_args__ = (
        CheckConstraint(f"status IN {JOB_STATUSES}", name="status"),
        CheckConstraint(f"cutoff IN {CUTOFFS}", name="cutoff"),
    )

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")
