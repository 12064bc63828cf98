"""The queue for real: ``sipas worker`` and ``sipas serve`` as processes over one SQLite
database, with the queue in its SQLite file (the default) or in Redis.

- A report asked for while no worker runs waits in the queue; the web server is killed
  (SIGKILL) and started again, a worker is started, and the report is downloaded.
- A worker killed (SIGKILL) in the middle of a job leaves it running in the database; the
  next worker finds its process gone, queues it again, and it is done on its second run.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa

from survey_app.extensions import db
from survey_app.services import demo
from survey_app.services.clock import VN_TZ

from ..conftest import make_app, migrated_sqlite
from ..factories import PASSWORD, make_user, seed_questionnaires
from .processes import HOST, Browser, Processes, free_port

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=["sqlite-queue", "redis-queue"])
def installation(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[tuple[Processes, str]]:
    db_url = migrated_sqlite(sqlite_template, tmp_path / "live.sqlite")
    app = make_app(db_url)
    with app.app_context():
        seed_questionnaires()
        units = demo.create_organisation()
        demo.generate_responses(300, seed=3)
        make_user("bao.cao", "office", units["MC"], must_change=False)
        db.session.remove()
        db.engine.dispose()
    env = {
        "SIPAS_DATABASE_URL": db_url,
        "SIPAS_SECRET_KEY": "test-secret",
        "SIPAS_HASH_KEY": "test-hash-key",
        "SIPAS_REPORTS_DIR": str(tmp_path / "reports"),
        "SIPAS_QUEUE_URL": f"sqlite:///{tmp_path / 'queue.sqlite'}",
    }
    if request.param == "redis-queue":
        if not _redis_up():
            pytest.skip("no Redis at 127.0.0.1:6379")
        env["SIPAS_QUEUE_URL"] = REDIS_URL
        env["SIPAS_QUEUE_NAME"] = f"sipas-test-{uuid.uuid4().hex[:8]}"
    procs = Processes(tmp_path, env)
    try:
        yield procs, db_url
    finally:
        procs.stop_all()
        if request.param == "redis-queue":
            client = redis.Redis.from_url(REDIS_URL)
            for key in client.scan_iter(f"huey.*{env['SIPAS_QUEUE_NAME'].replace('-', '')}*"):
                client.delete(key)


def ask_for_report(browser: Browser) -> int:
    browser.sign_in("bao.cao", PASSWORD)
    year = str(datetime.now(VN_TZ).year)
    fields = {"loai": "nam", "nam": year, "moc": "lich", "don_vi": "MC"}
    status, url, _ = browser.post_form("/bao-cao", fields)
    assert status == 200 and url.rstrip("/").rsplit("/", 1)[1].isdigit(), url
    return int(url.rstrip("/").rsplit("/", 1)[1])


def job_row(db_url: str, job: int) -> Any:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(
                sa.text("SELECT status, attempts, error FROM report_jobs WHERE id = :id"),
                {"id": job},
            ).one()
    finally:
        engine.dispose()


def wait_until(what: Any, seconds: float, why: str) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = what()
        if value:
            return value
        assert time.monotonic() < deadline, why
        time.sleep(0.05)


def test_a_report_asked_for_survives_a_restart_of_the_web_server(
    installation: tuple[Processes, str],
) -> None:
    procs, db_url = installation
    port = free_port()
    server = procs.serve(port)
    browser = Browser(f"http://{HOST}:{port}")
    job = ask_for_report(browser)
    assert browser.json(f"/bao-cao/{job}/trang-thai")["status"] == "queued"  # no worker yet

    procs.kill(server)  # the web server dies; the job waits in the queue, not in it
    procs.worker()
    procs.serve(port)  # the same signed session cookie works on the new process
    state = wait_until(
        lambda: (s := browser.json(f"/bao-cao/{job}/trang-thai"))["finished"] and s,
        180,
        "the report was not made: " + procs.log("worker")[-3000:],
    )
    assert state["status"] == "done", state
    status, _, body = browser.get(f"/bao-cao/{job}/tai/xlsx")
    assert status == 200 and body[:2] == b"PK" and len(body) > 5000
    assert job_row(db_url, job).attempts == 1


def test_a_worker_killed_in_the_middle_of_a_job_leaves_it_retried(
    installation: tuple[Processes, str],
) -> None:
    procs, db_url = installation
    port = free_port()
    procs.serve(port)
    first = procs.worker()
    browser = Browser(f"http://{HOST}:{port}")
    job = ask_for_report(browser)
    wait_until(lambda: job_row(db_url, job).status == "running", 60, procs.log("worker"))
    procs.kill(first)  # mid-job: numpy, matplotlib… are still loading, or it is building
    row = job_row(db_url, job)
    assert (row.status, row.attempts) == ("running", 1), row  # left behind by the dead worker

    procs.worker()  # at its start: the job's process is gone → queued again and run
    wait_until(
        lambda: job_row(db_url, job).status in ("done", "failed"),
        180,
        "not retried: " + procs.log("worker")[-3000:],
    )
    row = job_row(db_url, job)
    assert (row.status, row.attempts, row.error) == ("done", 2, None), row
    assert "queued again" in procs.log("worker")
    status, _, body = browser.get(f"/bao-cao/{job}/tai/pdf")
    assert status == 200 and body[:4] == b"%PDF"
