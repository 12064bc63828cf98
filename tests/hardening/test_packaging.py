"""A plain (non-editable) install works: the wheel carries the questionnaires and the
migrations, and ``sipas init``, ``sipas demo`` and ``sipas score`` run from a fresh virtual
environment that has no source tree beside it (issue 11, item 22).

One module fixture builds the wheel (``pip wheel --no-deps --no-build-isolation``: the
setuptools of the test environment, no download) from a copy of the sources, and installs it
into a new virtual environment without system site packages (``python -m venv --without-pip``
and this environment's pip with ``--python``, so no ensurepip); the dependencies come from the
configured package index, pinned by ``requirements/constraints.txt``, binary wheels only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.packaging

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
    _run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
        + ["-w", str(out), str(src)]
    )
    (found,) = out.glob("sipas-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh virtual environment with the wheel installed; yields its ``bin`` folder."""
    env = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", "--without-pip", str(env)])
    python = env / "bin" / "python"
    _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q"]
        + ["--only-binary", ":all:", "-c", str(ROOT / "requirements" / "constraints.txt")]
        + [str(wheel)]
    )
    yield env / "bin"


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


def test_init_demo_and_score_run_from_a_plain_install(installed: Path, tmp_path: Path) -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SIPAS_", "PYTHON", "VIRTUAL_ENV"))
    }
    env["SIPAS_DATABASE_URL"] = f"sqlite:///{tmp_path / 'sipas.sqlite'}"
    env["SIPAS_RATELIMIT_ENABLED"] = "false"
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
    assert '"n": 10' in scores.replace(" ", "").replace('"n":10', '"n": 10')
