"""Report pages' fixtures: report files in the test's own folder, a stand-in engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from survey_app.services.reports import jobs as report_jobs

from .helpers import FakeEngine, use_fake_content


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    return {"REPORTS_DIR": str(tmp_path / "reports")}


@pytest.fixture
def engine(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeEngine]:
    fake = FakeEngine()
    monkeypatch.setattr(report_jobs, "_engine", lambda: fake)
    use_fake_content(app)
    yield fake
    if fake.gate is not None:
        fake.gate.set()
    assert report_jobs.wait_all(30), "a report job thread did not finish"
