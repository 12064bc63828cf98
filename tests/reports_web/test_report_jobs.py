"""Report jobs: start → progress → done with files; failures; dead jobs; the limits."""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import ReportJob, User
from survey_app.models.base import utcnow
from survey_app.services import queue
from survey_app.services.reports import jobs as report_jobs

from ..factories import csrf_of, login_as, make_unit, make_user
from ..queue_helpers import InlineWorker
from .helpers import FakeEngine

QUARTER = {"loai": "quy", "nam": "2026", "quy": "1", "moc": "bao_cao", "don_vi": "IN"}


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    root = make_unit("P", "Tỉnh thử")
    inside = make_unit("IN", "Trung tâm bên trong", parent=root)
    below = make_unit("IN.X", "Xã bên dưới", parent=inside)
    make_unit("OUT", "Trung tâm bên ngoài", parent=root)
    return {"root": root, "inside": inside, "below": below}


def as_signed_in(client: FlaskClient) -> FlaskClient:
    """The tests keep an application context open, so ``g`` (where Flask-Login keeps the
    request's user) outlives a request: forget it when switching between clients."""
    g.pop("_login_user", None)
    return client


def start(client: FlaskClient, **fields: str) -> Any:
    as_signed_in(client)
    data = {**QUARTER, **fields, "csrf_token": csrf_of(client, "/bao-cao")}
    return client.post("/bao-cao", data=data)


def job_id(resp: Any) -> int:
    assert resp.status_code == 303, resp.get_data(as_text=True)[:800]
    return int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def wait_for(predicate: Any, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_job_runs_in_the_background_and_offers_its_files(
    client: FlaskClient, world: dict[str, Any], engine: FakeEngine
) -> None:
    login_as(client, "office", world["inside"])
    new = job_id(start(client))  # immediate mode: the task has run when this returns

    state = client.get(f"/bao-cao/{new}/trang-thai").get_json()
    assert state["status"] == "done" and state["progress"] == 1 and state["finished"]
    spec, unit_ids = engine.calls[0]
    assert (spec.period, spec.cutoff, spec.unit_code, spec.integrity) == (
        "2026-Q1",
        "report",
        "IN",
        False,
    )
    assert sorted(unit_ids or []) == sorted([world["inside"].id, world["below"].id])

    page = client.get(f"/bao-cao/{new}").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in page  # finished: no more reloading
    finished = re.search(r"Xong lúc (\S+ \S+)</p>", page)  # the finish time, not "–"
    assert finished and re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", finished.group(1)), page[
        page.find("Xong lúc") :
    ][:80]
    for fmt in ("xlsx", "pdf", "docx", "zip"):
        assert f"/bao-cao/{new}/tai/{fmt}" in page
        resp = client.get(f"/bao-cao/{new}/tai/{fmt}")
        body = resp.data
        resp.close()
        assert resp.status_code == 200
        assert body == f"fake {fmt} 2026-Q1".encode()
        assert resp.headers["Content-Disposition"].startswith("attachment")
        assert f"bao-cao-sipas-2026-Q1-IN.{fmt}" in resp.headers["Content-Disposition"]
        assert resp.headers["Cache-Control"] == "no-store"
    view = client.get(f"/bao-cao/{new}/xem")
    html = view.get_data(as_text=True)
    assert view.status_code == 200 and "Báo cáo 2026-Q1" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Tiếng Việt" in html  # escaped when rendered
    assert "<script>alert" not in html
    assert f'src="/bao-cao/{new}/bieu-do/xep_hang.svg"' in html
    chart = client.get(f"/bao-cao/{new}/bieu-do/xep_hang.svg")
    chart.close()
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
    assert client.get(f"/bao-cao/{new}/tai/csv").status_code == 404
    assert client.get(f"/bao-cao/{new}/bieu-do/khac.svg").status_code == 404
    listing = client.get("/bao-cao").get_data(as_text=True)
    assert f'href="/bao-cao/{new}"' in listing and "đã xong" in listing


def test_progress_shows_while_it_runs_and_a_second_job_is_refused(
    client: FlaskClient, world: dict[str, Any], engine: FakeEngine, inline_worker: InlineWorker
) -> None:
    engine.gate = threading.Event()
    login_as(client, "office", world["inside"])
    new = job_id(start(client))
    assert engine.building.wait(10)
    wait_for(lambda: client.get(f"/bao-cao/{new}/trang-thai").get_json()["progress"] > 0.2)
    state = client.get(f"/bao-cao/{new}/trang-thai").get_json()
    assert state["status"] == "running" and not state["finished"]
    assert 0.2 < state["progress"] < 0.7 and state["message"] == "Đang tính chỉ số…"
    page = client.get(f"/bao-cao/{new}").get_data(as_text=True)
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert 'id="job-progress"' in page and "report-progress.js" in page
    assert client.get(f"/bao-cao/{new}/tai/xlsx").status_code == 404  # not ready yet
    assert client.get(f"/bao-cao/{new}/xem").status_code == 404

    again = start(client, quy="2")
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/bao-cao/{new}")
    assert "chưa lập xong" in client.get(f"/bao-cao/{new}").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ReportJob)) == 1

    engine.gate.set()
    assert inline_worker.wait_idle(20)
    assert client.get(f"/bao-cao/{new}/trang-thai").get_json()["status"] == "done"
    assert job_id(start(client, quy="2")) != new  # finished: a new one may start


def test_one_job_at_a_time_per_worker_thread(
    app: Flask, world: dict[str, Any], engine: FakeEngine, inline_worker: InlineWorker
) -> None:
    engine.gate = threading.Event()
    first, second = app.test_client(), app.test_client()
    login_as(first, "office", world["inside"], "office.a")
    login_as(second, "office", world["inside"], "office.b")
    a = job_id(start(first))
    assert engine.building.wait(10)
    b = job_id(start(second))
    assert b != a
    time.sleep(0.3)
    waiting = as_signed_in(second).get(f"/bao-cao/{b}/trang-thai").get_json()
    assert waiting["status"] == "queued" and waiting["message"] == "Đang chờ đến lượt…"
    assert len(engine.calls) == 1
    engine.gate.set()
    assert inline_worker.wait_idle(20)
    assert as_signed_in(first).get(f"/bao-cao/{a}/trang-thai").get_json()["status"] == "done"
    assert as_signed_in(second).get(f"/bao-cao/{b}/trang-thai").get_json()["status"] == "done"


def test_a_failure_is_recorded_with_a_friendly_message(
    client: FlaskClient, world: dict[str, Any], engine: FakeEngine, caplog: pytest.LogCaptureFixture
) -> None:
    engine.fail = RuntimeError("psycopg exploded at 0xdeadbeef")
    login_as(client, "office", world["inside"])
    with caplog.at_level(logging.ERROR, logger="survey_app.services.reports.jobs"):
        new = job_id(start(client))
    state = client.get(f"/bao-cao/{new}/trang-thai").get_json()
    assert state["status"] == "failed" and state["finished"]
    assert state["error"] == report_jobs.MSG_FAILED
    page = client.get(f"/bao-cao/{new}").get_data(as_text=True)
    assert "Không lập được báo cáo" in page and "0xdeadbeef" not in page
    assert "0xdeadbeef" in caplog.text and "Traceback" in caplog.text  # for the operator
    assert client.get(f"/bao-cao/{new}/tai/pdf").status_code == 404
    job_id(start(client))  # the failed job does not block the next one


def test_the_engine_s_own_message_is_shown(
    client: FlaskClient, world: dict[str, Any], engine: FakeEngine
) -> None:
    engine.fail = engine.ReportError("Đơn vị IN không có phản hồi nào trong kỳ.")
    login_as(client, "office", world["inside"])
    new = job_id(start(client))
    assert (
        client.get(f"/bao-cao/{new}/trang-thai").get_json()["error"]
        == "Đơn vị IN không có phản hồi nào trong kỳ."
    )


def _running_job(user: User, worker: str, beat_ago: float = 0) -> ReportJob:
    job = ReportJob(
        user_id=user.id,
        period="2026-Q1",
        cutoff="calendar",
        unit_code="IN",
        status="running",
        progress=0.4,
        message="Đang tính…",
        files=[],
        worker=worker,
        active_user_id=user.id,
        heartbeat_at=utcnow() - timedelta(seconds=beat_ago),
        request={"period": "2026-Q1", "unit_code": "IN", "unit_ids": None},
        attempts=1,
    )
    db.session.add(job)
    db.session.commit()
    return job


def _dead_pid() -> int:
    pid = 4_000_000
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid -= 1


@pytest.mark.parametrize(
    "case",
    ["silent too long", "process gone", "this process, no thread", "earlier process with our pid"],
)
def test_a_job_left_running_by_a_dead_worker_is_queued_again_then_failed(
    app: Flask, client: FlaskClient, world: dict[str, Any], engine: FakeEngine, case: str
) -> None:
    """The worker's recovery (at its start and every minute) queues a job whose worker has
    gone once more — here it runs at once (immediate mode) and is done — and fails it after
    REPORT_JOB_ATTEMPTS runs."""
    user = login_as(client, "office", world["inside"])
    host, me = socket.gethostname(), os.getpid()
    worker, ago = {
        "silent too long": ("elsewhere:123:abc", 600),
        "process gone": (f"{host}:{_dead_pid()}:abc", 0),
        "this process, no thread": (f"{host}:{me}:{report_jobs.process_token()}", 0),
        "earlier process with our pid": (f"{host}:{me}:not-us", 0),
    }[case]
    job = _running_job(user, worker, ago)
    assert report_jobs.recover() == {"retried": 1, "failed": 0}
    db.session.expire_all()
    state = client.get(f"/bao-cao/{job.id}/trang-thai").get_json()
    assert state["status"] == "done", state
    stored = db.session.get(ReportJob, job.id)
    assert stored is not None and stored.attempts == 2 and stored.active_user_id is None

    again = _running_job(make_user("office.y", "office", world["inside"]), worker, ago)
    again.attempts = app.config["REPORT_JOB_ATTEMPTS"]
    db.session.commit()
    assert report_jobs.recover() == {"retried": 0, "failed": 1}
    db.session.expire_all()
    failed = db.session.get(ReportJob, again.id)
    assert failed is not None and failed.status == "failed"
    assert failed.error == report_jobs.MSG_STALE and failed.active_user_id is None


def test_a_page_shows_a_job_silent_for_twice_the_timeout_as_failed(
    client: FlaskClient, world: dict[str, Any], engine: FakeEngine
) -> None:
    """No worker left to retry it: the page does not leave it running for ever."""
    user = login_as(client, "office", world["inside"])
    job = _running_job(user, "elsewhere:123:abc", beat_ago=241)
    state = client.get(f"/bao-cao/{job.id}/trang-thai").get_json()
    assert state["status"] == "failed" and state["error"] == report_jobs.MSG_STALE
    job_id(start(client))  # and the user may start again


def test_a_queue_that_cannot_be_reached_fails_the_job_with_a_message(
    app: Flask, client: FlaskClient, world: dict[str, Any], engine: FakeEngine
) -> None:
    login_as(client, "office", world["inside"])
    app.config.update(QUEUE_URL="redis://127.0.0.1:1/0", QUEUE_IMMEDIATE=False)  # nobody there
    down = queue.make_huey(app)
    app.extensions[queue.EXTENSION].tasks[report_jobs.TASK] = down.task(name=report_jobs.TASK)(
        lambda *args: None
    )
    new = job_id(start(client))
    state = client.get(f"/bao-cao/{new}/trang-thai").get_json()
    assert state["status"] == "failed" and state["error"] == report_jobs.MSG_QUEUE_DOWN
    assert not engine.calls


def test_a_job_alive_elsewhere_keeps_running(
    client: FlaskClient, world: dict[str, Any], engine: FakeEngine
) -> None:
    user = login_as(client, "office", world["inside"])
    job = _running_job(user, "another-machine:123:abc", beat_ago=30)
    assert client.get(f"/bao-cao/{job.id}/trang-thai").get_json()["status"] == "running"
    refused = start(client)
    assert refused.headers["Location"].endswith(f"/bao-cao/{job.id}")


def test_the_database_refuses_two_unfinished_jobs_of_one_user(
    app: Flask, world: dict[str, Any]
) -> None:
    user = make_user("office.x", "office", world["inside"])
    _running_job(user, "elsewhere:1:a")
    with pytest.raises(sa.exc.IntegrityError):
        _running_job(user, "elsewhere:2:b")
    db.session.rollback()


def test_old_jobs_are_pruned_with_their_files(
    client: FlaskClient, world: dict[str, Any], engine: FakeEngine
) -> None:
    login_as(client, "office", world["inside"])
    ids = []
    for _ in range(report_jobs.KEEP_PER_USER + 2):
        ids.append(job_id(start(client)))
    kept = db.session.scalars(select(ReportJob.id).order_by(ReportJob.id)).all()
    assert kept == ids[-report_jobs.KEEP_PER_USER :]
    assert not report_jobs.job_dir(ids[0]).exists()
    assert (report_jobs.job_dir(ids[-1]) / "bao-cao.xlsx").is_file()
