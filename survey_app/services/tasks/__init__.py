"""Every task of the queue, registered by name on the application's huey instance.

The functions here are thin: each opens the application's context and calls a service
(:mod:`~survey_app.services.reports.jobs`, :mod:`~survey_app.services.alerts` and its
:mod:`~survey_app.services.alerts.delivery`, :mod:`~survey_app.services.kiosk.silence`,
:mod:`~survey_app.services.digests`). The web app registers them too,
so that it can enqueue by name; only ``sipas worker`` (:mod:`.cli`) runs them, periodic tasks
included.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Flask
from huey import crontab

from survey_app.services import alerts, complaints, digests, queue
from survey_app.services.alerts import delivery
from survey_app.services.kiosk import silence
from survey_app.services.reports import jobs as report_jobs

log = logging.getLogger(__name__)

RECOVER_REPORTS = "report.recover"
SWEEP_DELIVERIES = "alerts.sweep"
DAILY_DIGEST = "digest.daily"
WEEKLY_DIGEST = "digest.weekly"


def register(app: Flask) -> queue.Queue:
    """Create the application's queue and register every task on it."""
    q = queue.init_queue(app)
    huey = q.huey

    def add(name: str, wrapper: Any) -> None:
        q.tasks[name] = wrapper

    def run_report(job_id: int, request: dict[str, Any]) -> None:
        report_jobs.run(app, job_id, request)

    add(report_jobs.TASK, huey.task(name=report_jobs.TASK)(run_report))

    def recover_reports() -> None:
        with app.app_context():
            recover_now()

    add(
        RECOVER_REPORTS,
        huey.periodic_task(crontab(minute="*"), name=RECOVER_REPORTS)(recover_reports),
    )

    def evaluate_alerts(response_id: int) -> None:
        with app.app_context():
            alerts.evaluate(response_id)
            complaints.open_for(response_id)  # the unit's setting auto_complaints

    add(alerts.EVALUATE, huey.task(name=alerts.EVALUATE)(evaluate_alerts))

    def deliver(delivery_id: int) -> None:
        with app.app_context():
            delivery.send(delivery_id)

    tries = int(app.config.get("DELIVERY_TRIES") or 7)
    add(
        alerts.DELIVER,
        huey.task(
            name=alerts.DELIVER,
            retries=tries - 1,
            retry_delay=int(app.config.get("DELIVERY_RETRY_SECONDS") or 60),
            retry_backoff=2,
        )(deliver),
    )

    def sweep() -> None:
        with app.app_context():
            delivery.sweep()

    add(SWEEP_DELIVERIES, huey.periodic_task(crontab(minute="*/5"), name=SWEEP_DELIVERIES)(sweep))

    def silent_tablets() -> None:
        with app.app_context():
            silence.check()

    add(
        silence.TASK,
        huey.periodic_task(crontab(minute=f"*/{silence.EVERY_MINUTES}"), name=silence.TASK)(
            silent_tablets
        ),
    )

    def escalate_complaints() -> None:
        with app.app_context():
            done = complaints.escalate()
            if done.head or done.office:
                log.info("complaints escalated: head %s, office %s", done.head, done.office)

    add(
        complaints.ESCALATE,
        huey.periodic_task(crontab(minute="*/15"), name=complaints.ESCALATE)(escalate_complaints),
    )

    # The queue keeps UTC: 17:00 in Vietnam (UTC+7, no summer time) is 10:00 UTC, and
    # Monday 08:00 is Monday 01:00 UTC.
    def daily_digest() -> None:
        with app.app_context():
            today = digests.today_local()
            digests.send("digest", today, today)

    add(
        DAILY_DIGEST,
        huey.periodic_task(
            crontab(hour="10", minute="0"), name=DAILY_DIGEST, retries=3, retry_delay=300
        )(daily_digest),
    )

    def weekly_digest() -> None:
        with app.app_context():
            monday = digests.today_local()
            digests.send("digest_weekly", monday - timedelta(days=7), monday - timedelta(days=1))

    add(
        WEEKLY_DIGEST,
        huey.periodic_task(
            crontab(day_of_week="1", hour="1", minute="0"),
            name=WEEKLY_DIGEST,
            retries=3,
            retry_delay=300,
        )(weekly_digest),
    )
    return q


def recover_now() -> dict[str, int]:
    """What the worker does at its start and every minute: report jobs whose worker died."""
    done = report_jobs.recover()
    if any(done.values()):
        log.warning("report jobs whose worker had gone: %s", done)
    return done
