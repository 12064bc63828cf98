"""Report pages' fixtures: report files in the test's own folder, a stand-in engine, the
queue in immediate mode (a job has run when the request that asked for it returns) or, for
a test that holds a job in the middle, a worker thread (``inline_worker``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from survey_app.services.reports import jobs as report_jobs

from ..queue_helpers import InlineWorker
from .helpers import FakeEngine, use_fake_content


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    return {"REPORTS_DIR": str(tmp_path / "reports"), "QUEUE_IMMEDIATE": True}


@pytest.fixture
def engine(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeEngine]:
    fake = FakeEngine()
    monkeypatch.setattr(report_jobs, "_engine", lambda: fake)
    use_fake_content(app)
    yield fake
    if fake.gate is not None:
        fake.gate.set()


@pytest.fixture
def inline_worker(app: Flask, engine: FakeEngine) -> Iterator[InlineWorker]:
    """The queue out of immediate mode, worked by one thread of this process."""
    with InlineWorker(app) as worker:
        yield worker
        if engine.gate is not None:
            engine.gate.set()
        assert worker.wait_idle(30), "a report job did not finish"
