"""A plain (non-editable) install works: the wheel carries the questionnaires and the
migrations, and ``sipas init``, ``sipas demo`` and ``sipas score`` run from a fresh virtual
environment that has no source tree beside it (issue 11, item 22); and drawing in several
threads at once changes no process-wide matplotlib setting (item 23).

One module fixture builds the wheel (``pip wheel --no-deps``: the build back end that
pyproject.toml names, from the configured package index) from a copy of the sources, and
installs it into a new virtual environment without system site packages (``python -m venv
--without-pip`` and this environment's pip with ``--python``, so no ensurepip); the
dependencies come from the configured package index (local on the developers' machines and
in CI), pinned by ``requirements/constraints.txt``, binary wheels only, not byte-compiled
(``--no-compile``: much of an install's time; Python compiles what it imports anyway).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from survey_app.services.analytics import charts
from survey_app.services.org import qrcards

ROOT = Path(__file__).parents[2]
SOURCES = (
    "pyproject.toml",
    "setup.py",
    "README.md",
    "survey_app",
    "scoring",
    "forms",
    "migrations",
)


def _run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{args}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the sources (the build writes into its source tree)."""
    src = tmp_path_factory.mktemp("src")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=ignore)
        else:
            shutil.copy2(path, src / name)
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(src)])
    (found,) = out.glob("sipas-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh virtual environment with the wheel installed; yields its ``bin`` folder."""
    env = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", "--without-pip", str(env)])
    python = env / "bin" / "python"
    _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-compile"]
        + ["--only-binary", ":all:", "-c", str(ROOT / "requirements" / "constraints.txt")]
        + [str(wheel)]
    )
    yield env / "bin"


@pytest.mark.packaging
def test_the_wheel_holds_the_questionnaires_and_the_migrations(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for definition in (ROOT / "forms" / "definitions").glob("*.json"):
        assert f"forms/definitions/{definition.name}" in names
    for revision in (ROOT / "migrations" / "versions").glob("*.py"):
        assert f"survey_app/migrations/versions/{revision.name}" in names
    for name in ("alembic.ini", "env.py", "script.py.mako"):
        assert f"survey_app/migrations/{name}" in names
    assert any(n.startswith("survey_app/templates/") for n in names)
    assert any(n.endswith("messages.mo") for n in names)


@pytest.mark.packaging
def test_init_demo_and_score_run_from_a_plain_install(installed: Path, tmp_path: Path) -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SIPAS_", "PYTHON", "VIRTUAL_ENV"))
    }
    env["SIPAS_DATABASE_URL"] = f"sqlite:///{tmp_path / 'sipas.sqlite'}"
    env["SIPAS_RATELIMIT_ENABLED"] = "false"
    env.pop("LC_ALL", None), env.pop("LC_MESSAGES", None)
    env["LANG"] = "en_US.UTF-8"  # the English catalogue must be in the wheel too
    run = {"cwd": tmp_path, "env": env}  # not the source tree: nothing from it on sys.path
    where = _run(
        [str(installed / "python"), "-c", "import survey_app, forms; print(survey_app.__file__)"],
        **run,
    ).stdout
    assert Path(where.strip()).is_relative_to(installed.parent)
    assert "Database ready" in _run([str(installed / "sipas"), "init"], **run).stdout
    demo = _run([str(installed / "sipas"), "demo", "--responses", "10"], **run).stdout
    assert "Created the demo province with 10 responses" in demo
    scores = _run([str(installed / "sipas"), "score", "--format", "json"], **run).stdout
    groups = json.loads(scores)
    assert len(groups) == 1 and groups[0]["n"] == 10


# --- 23. matplotlib's process-wide settings in a threaded server ------------------------------

CARD = qrcards.Card("BT01", "Phường Bến Thành", "Q3", "Quầy số 3", "https://sipas.test/f/abc")
LABELS = charts.TrendLabels("Xu hướng", "SIPAS (%)", "Mục tiêu", "KTC 95 %", "Đủ", "Ít", "Trống")


def _trend() -> bytes:
    return charts.trend_svg([], date(2026, 3, 1), date(2026, 3, 30), LABELS)


def _true_type(pdf: bytes) -> bool:
    return b"/FontFile2" in pdf and b"/Type3" not in pdf and b"/Type1" not in pdf


def test_drawing_writes_no_process_wide_matplotlib_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import matplotlib

    _trend()  # the chart module's settings are made once, on import
    writes: list[str] = []
    setitem = matplotlib.RcParams.__setitem__

    def record(self: Any, key: str, value: Any) -> None:
        writes.append(key)
        setitem(self, key, value)

    monkeypatch.setattr(matplotlib.RcParams, "__setitem__", record)
    _trend()
    assert _true_type(qrcards.render_pdf(CARD))
    assert writes == []
    for module in (ROOT / "survey_app").rglob("*.py"):
        assert "rc_context(" not in module.read_text(encoding="utf-8"), module


def test_two_threads_drawing_at_once_keep_their_own_settings() -> None:
    """Cards and charts drawn at once in two threads: every card embeds TrueType fonts and
    every chart is the one drawn alone (with matplotlib's global rc_context, one thread's
    settings ended in the middle of the other's drawing)."""
    alone_svg, alone_pdf = _trend(), qrcards.render_pdf(CARD)
    start = threading.Barrier(2)

    def cards() -> list[bytes]:
        start.wait()
        return [qrcards.render_pdf(CARD) for _ in range(30)]

    def trends() -> list[bytes]:
        start.wait()
        return [_trend() for _ in range(15)]

    with ThreadPoolExecutor(2) as pool:
        drawn_cards, drawn_trends = pool.submit(cards), pool.submit(trends)
        pdfs, svgs = drawn_cards.result(), drawn_trends.result()
    assert all(_true_type(pdf) for pdf in pdfs)
    assert set(pdfs) == {alone_pdf} and set(svgs) == {alone_svg}
