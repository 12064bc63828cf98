"""Every error of a ``sipas`` command is one line on standard error and exit status 2 — a bad
path, a bad value, input a service refuses — never a traceback or a usage screen (issue 11,
item 16). The commands run through the real entry point (``survey_app.cli.main``), as a user
runs them, against the test's database."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from survey_app.cli import main

from ..imports.helpers import world


@pytest.fixture
def sipas(app: Flask, db_url: str) -> Iterator[CliRunner]:
    """Two units with a counter each in the test's database, and a runner of ``sipas``.

    Each run builds its own app, as the command does; the pooled connections it leaves are
    closed here, now, rather than by the garbage collector in some later test (where
    PostgreSQL's "deleted while still open" warning would fail it)."""
    world()
    env = {
        "SIPAS_DATABASE_URL": db_url,
        "SIPAS_SECRET_KEY": "s",
        "SIPAS_HASH_KEY": "h",
    }
    yield CliRunner(env=env)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def _one_line_error(result: object, *expected: str) -> str:
    output: str = result.output  # type: ignore[attr-defined]
    assert result.exit_code == 2, output  # type: ignore[attr-defined]
    assert isinstance(result.exception, SystemExit), result.exception  # type: ignore[attr-defined]
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("Error: "), output
    assert "Traceback" not in output
    for text in expected:
        assert text in lines[0], output
    return lines[0]


OUT = "{tmp}/x.csv"  # a file in the test's folder


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["export", "--out", "/no/such/dir/x.csv"], ("/no/such/dir/x.csv", "No such file")),
        (
            ["export", "--out", OUT, "--from", "2026-13-01"],
            ("--from", "sipas export --help"),
        ),
        (["export", "--out", OUT, "--unit", "NOPE"], ("NOPE",)),
        (
            ["export", "--out", OUT, "--from", "2026-03-02", "--to", "2026-03-01"],
            ("--from",),
        ),
        (["import", "/no/such/file.csv"], ("does not exist",)),
        (["score", "--input", "/no/such/file.csv"], ("/no/such/file.csv",)),
        (["score", "--by", "weekday"], ("weekday",)),
        (["score", "--period", "2026-Q7"], ("--period",)),
        (["report", "--period", "2026-Q1", "--out", "/proc/sipas/r.xlsx"], ("/proc/sipas",)),
        (["report", "--period", "2026-Q1", "--out", "{tmp}/r.txt"], (".xlsx",)),
        (["qr", "--out", "/proc/sipas-cards"], ("/proc/sipas-cards",)),
        (["demo", "--responses", "many"], ("--responses",)),
        (["links", "--format", "yaml"], ("--format",)),
    ],
)
def test_a_command_error_is_one_line_and_exit_2(
    sipas: CliRunner, tmp_path: Path, args: list[str], expected: tuple[str, ...]
) -> None:
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    _one_line_error(sipas.invoke(main, args, prog_name="sipas"), *expected)


def test_a_file_that_cannot_be_written_is_one_line(sipas: CliRunner, tmp_path: Path) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_text("x", encoding="utf-8")  # a file where a folder should be: NotADirectoryError
    out = plain / OUT
    result = sipas.invoke(main, ["export", "--out", str(out)], prog_name="sipas")
    _one_line_error(result, str(out), "Not a directory")
