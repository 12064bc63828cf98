"""A job's progress and error messages follow the page's language (the report stays Vietnamese).

The row keeps the Vietnamese msgid (with its parameters as JSON when it has some); the job
page and its poll translate it for the reader.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext
from markupsafe import escape

from survey_app.extensions import db
from survey_app.models import ReportJob
from survey_app.services.reports import N_, ReportError, ReportSpec, build
from survey_app.services.reports import jobs as report_jobs

from ..factories import login_as, make_unit
from ..queue_helpers import InlineWorker
from .helpers import FakeEngine, make_done_job
from .test_report_jobs import as_signed_in, job_id, start, wait_for

ENGINE_STEP = "Đang tính chỉ số các đơn vị"  # one of the real engine's progress messages
NO_UNIT = "Không có đơn vị mã “%(code)s” trong phạm vi được xem."

TEXTS = {
    "vi": {
        "queued": "Đang chờ đến lượt…",
        "running": "Đang tính chỉ số các đơn vị",
        "done": "Đã xong.",
        "ready": "Báo cáo đã sẵn sàng",
        "no_unit": "Không có đơn vị mã “IN” trong phạm vi được xem.",
        "stale": "Việc lập báo cáo bị gián đoạn",
    },
    "en": {
        "queued": "Waiting for its turn…",
        "running": "Computing the units' indices",
        "done": "Done.",
        "ready": "The report is ready",
        "no_unit": "There is no unit with code “IN” within the units you may see.",
        "stale": "Making the report was interrupted",
    },
}


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    root = make_unit("P", "Tỉnh thử")
    inside = make_unit("IN", "Trung tâm bên trong", parent=root)
    make_unit("IN.X", "Xã bên dưới", parent=inside)
    return {"root": root, "inside": inside}


def fresh(client: FlaskClient) -> FlaskClient:
    """The tests' application context outlives requests: forget the last request's user and
    locale (Flask-Babel keeps it in ``g``) before the next one."""
    g.pop("_flask_babel", None)
    return as_signed_in(client)


def in_language(client: FlaskClient, lang: str) -> None:
    """Choose the UI language as a user does (the switch link; kept in the session)."""
    html = fresh(client).get(f"/bao-cao?lang={lang}").get_data(as_text=True)
    assert f'<html lang="{lang}"' in html


def poll(client: FlaskClient, job: int) -> dict[str, Any]:
    state = fresh(client).get(f"/bao-cao/{job}/trang-thai").get_json()
    assert isinstance(state, dict)
    return state


def page(client: FlaskClient, job: int) -> str:
    return str(fresh(client).get(f"/bao-cao/{job}").get_data(as_text=True))


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_queued_running_and_done_jobs_speak_the_page_s_language(
    app: Flask, world: dict[str, Any], engine: FakeEngine, inline_worker: InlineWorker, lang: str
) -> None:
    texts = TEXTS[lang]
    engine.gate = threading.Event()
    engine.message = ENGINE_STEP
    first, second = app.test_client(), app.test_client()
    login_as(first, "office", world["inside"], "office.a")
    login_as(second, "office", world["inside"], "office.b")
    in_language(first, lang)
    in_language(second, lang)
    running = job_id(start(fresh(first)))
    assert engine.building.wait(10)
    queued = job_id(start(fresh(second)))  # waits: one worker thread

    wait_for(lambda: poll(first, running)["progress"] > 0.2)
    state = poll(first, running)
    assert state["status"] == "running" and state["message"] == texts["running"]
    assert (
        f'<p id="job-message" role="status" aria-live="polite">{escape(texts["running"])}</p>'
        in page(first, running)
    )
    state = poll(second, queued)
    assert state["status"] == "queued" and state["message"] == texts["queued"]
    assert f'aria-live="polite">{escape(texts["queued"])}</p>' in page(second, queued)

    engine.gate.set()
    assert inline_worker.wait_idle(20)
    for client, job in ((first, running), (second, queued)):
        state = poll(client, job)
        assert state["status"] == "done" and state["message"] == texts["done"]
        assert texts["ready"] in page(client, job)
    # The row keeps the Vietnamese msgid whatever the language of the page.
    stored = db.session.get(ReportJob, running)
    assert stored is not None
    db.session.refresh(stored)
    assert stored.message == report_jobs.MSG_DONE


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_done_job_s_poll_speaks_the_page_s_language(
    app: Flask, client: FlaskClient, world: dict[str, Any], tmp_path: Path, lang: str
) -> None:
    user = login_as(client, "office", world["inside"])
    in_language(client, lang)
    job = make_done_job(app, user, "IN", tmp_path / "files")
    assert poll(client, job.id)["message"] == TEXTS[lang]["done"]
    assert TEXTS[lang]["ready"] in page(client, job.id)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_engine_s_fixed_error_with_a_unit_code_is_translated(
    client: FlaskClient, world: dict[str, Any], engine: FakeEngine, lang: str
) -> None:
    engine.ReportError = ReportError  # type: ignore[assignment]
    engine.fail = ReportError(N_(NO_UNIT), code="IN")
    login_as(client, "office", world["inside"])
    in_language(client, lang)
    new = job_id(start(fresh(client)))
    state = poll(client, new)
    assert state["status"] == "failed" and state["error"] == TEXTS[lang]["no_unit"]
    shown = escape(TEXTS[lang]["no_unit"])
    assert f'<p class="msg" id="job-error">{shown}</p>' in page(client, new)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_job_running_elsewhere_and_then_stale_is_translated(
    app: Flask, client: FlaskClient, world: dict[str, Any], lang: str
) -> None:
    user = login_as(client, "office", world["inside"])
    in_language(client, lang)
    job = ReportJob(
        user_id=user.id,
        period="2026-Q1",
        cutoff="calendar",
        unit_code="IN",
        status="running",
        progress=0.4,
        message=ENGINE_STEP,
        files=[],
        worker="elsewhere:123:abc",
        active_user_id=user.id,
    )
    db.session.add(job)
    db.session.commit()
    assert poll(client, job.id)["message"] == TEXTS[lang]["running"]
    app.config["REPORT_JOB_TIMEOUT_SECONDS"] = -1  # silent too long: shown failed
    state = poll(client, job.id)
    assert state["status"] == "failed" and state["error"].startswith(TEXTS[lang]["stale"])


def test_free_form_engine_messages_stay_as_written(
    client: FlaskClient, world: dict[str, Any], engine: FakeEngine
) -> None:
    engine.fail = engine.ReportError("Đơn vị IN không có phản hồi nào trong kỳ.")
    login_as(client, "office", world["inside"])
    in_language(client, "en")
    new = job_id(start(fresh(client)))
    assert poll(client, new)["error"] == "Đơn vị IN không có phản hồi nào trong kỳ."


def test_stored_messages_round_trip(app: Flask) -> None:
    plain = report_jobs.stored(ENGINE_STEP)
    assert plain == ENGINE_STEP  # no parameters: the msgid itself
    with_code = report_jobs.stored(NO_UNIT, {"code": "IN"})
    assert report_jobs.vietnamese(with_code) == TEXTS["vi"]["no_unit"]
    with app.test_request_context("/"), force_locale("en"):
        assert report_jobs.shown(with_code) == TEXTS["en"]["no_unit"]
        assert report_jobs.shown(plain) == TEXTS["en"]["running"]
        for odd in ("{not json", '{"msgid": 1}', "100 % xong", ""):
            assert report_jobs.shown(odd) == odd  # anything else: shown as it is
        assert report_jobs.shown(None) is None
        # a parameter the msgid lacks: the Vietnamese text, never an exception
        broken = report_jobs.stored("Mã %(code)s", {"other": "x"})
        assert report_jobs.shown(broken) == "Mã %(code)s"


def test_every_progress_message_of_the_real_engine_has_an_english_text(
    app: Flask, world: dict[str, Any]
) -> None:
    seen: list[str] = []
    build(
        ReportSpec("2026-Q1", unit_code="IN"),
        None,
        progress=lambda _fraction, message: seen.append(message),
    )
    assert ENGINE_STEP in seen and len(seen) >= 5
    with app.test_request_context("/"), force_locale("en"):
        untranslated = [m for m in seen if gettext(m) == m]
    assert untranslated == []
