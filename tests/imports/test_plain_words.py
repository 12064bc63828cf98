"""Import messages in the template's words, and every problem of a file in one round."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from survey_app.services.exchange import importer

from .helpers import row, world, write_csv


def test_a_bad_moment_is_explained_as_the_template_teaches(app: Flask, tmp_path: Path) -> None:
    world()
    path = write_csv(tmp_path / "time.csv", [row(A1="5", submitted_at="1/3/2026 8h30")])
    with pytest.raises(importer.ImportRefused) as caught:
        importer.import_file(path)
    [problem] = caught.value.problems
    assert problem.column == "submitted_at"
    assert "2026-03-01 08:30" in problem.message and "ISO" not in problem.message


def test_every_problem_is_reported_in_one_round(app: Flask, tmp_path: Path) -> None:
    """A changed stored response (known only after reading the database) and a bad cell in
    another row are reported together, not one after the other's fix."""
    world()
    importer.import_file(write_csv(tmp_path / "first.csv", [row(response_id="41", A1="5")]))
    path = write_csv(
        tmp_path / "both.csv",
        [
            row(response_id="41", A1="1"),  # line 2: response 41 is stored with A1 = 5
            row(A1="9"),  # line 3: not an answer code
            row(unit_code="NOPE", A1="4"),  # line 4: no such unit
        ],
    )
    with pytest.raises(importer.ImportRefused) as caught:
        importer.import_file(path)
    found = [(p.line, p.column) for p in caught.value.problems]
    assert found == [(2, "response_id"), (3, "A1"), (4, "unit_code")]
