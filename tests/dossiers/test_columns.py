"""The column-wise CSV path of the dossier import (:mod:`survey_app.services.dossiers.columns`)
stores exactly what the row-by-row checker stores, and names exactly the same problems."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from survey_app.extensions import db
from survey_app.models import Dossier, Unit
from survey_app.services.dossiers import files
from survey_app.services.dossiers.columns import read_table
from survey_app.services.dossiers.ingest import DossiersRefused, ingest
from survey_app.services.exchange.filecheck import check_csv_bytes

from .helpers import dossier, tree
from .test_cli import write_csv


@pytest.fixture
def units(app: Flask) -> dict[str, Unit]:
    return tree()


def row_by_row(path: Path, **options: Any) -> Any:
    """The same file through the row-by-row reader and checker."""
    delimiter = check_csv_bytes(path)
    records = files._rows(files._csv_records(path, delimiter), csv_cells=True)
    return ingest(records, preload=True, check_keys=False, **options)


VARIED = [
    dossier(1),
    dossier(2, code=" h15.50.05.13-261008-0002 ", received_at="2026-10-08 08:30:00"),
    dossier(3, received_at="2026-10-08T01:30:00Z", returned_at="2026-10-20T08:00:00.250000Z"),
    dossier(4, received_at="2026-10-07T20:30:00-05:00", due_date="2026-10-09"),
    dossier(5, outcome="dang_xu_ly", returned_at="", channel="", receiving_counter=""),
    dossier(6, procedure_code="9.999999", outcome="rut", supplements=7, apology_sent="yes"),
    dossier(7, apology_sent="có", supplements="0999"),  # not plain: the checker's row
    dossier(8, received_at="2026-10-08T08:30:00.5", apology_sent="X"),  # the checker's too
    dossier(9, resolving_unit="A", outcome="tu_choi", returned_at="2026-10-08T08:30:00"),
]


def test_the_columns_store_what_the_checker_stores(units: dict[str, Unit], tmp_path: Path) -> None:
    path = write_csv(tmp_path / "hs.csv", VARIED)
    assert read_table(path, ",") is not None  # the column-wise path is taken
    first = files.import_file(path)
    assert (first.created, first.updated, first.unchanged) == (len(VARIED), 0, 0)
    again = row_by_row(path)  # same codes, same fingerprints: same stored values
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(VARIED))
    changed = write_csv(tmp_path / "b.csv", [*VARIED[:-1], dossier(9, supplements=1)])
    result = files.import_file(changed)
    assert (result.created, result.updated, result.unchanged) == (0, 1, len(VARIED) - 1)


BAD = [
    dossier(1),
    dossier(2, due_date="2026-02-30"),
    dossier(3, received_at="2099-10-08T08:30:00"),
    dossier(4, returned_at="2026-10-08T08:00:00+07:00"),
    dossier(5, returned_at=""),
    dossier(6, receiving_counter="Q9", channel="zalo"),
    dossier(1, code="h15.50.05.13-261008-0001"),  # line 2's code again
    dossier(7, outcome="dang_xu_ly"),
    dossier(8, resolving_unit="OUT", supplements="x"),
    dossier(9, received_at="2026-10-08T08:30:00+25:00", apology_sent="maybe"),
    dossier(10, code="bad code"),
    dossier(11),
]


def test_the_columns_name_what_the_checker_names(units: dict[str, Unit], tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bad.csv", BAD)
    assert read_table(path, ",") is not None
    with pytest.raises(DossiersRefused) as columns:
        files.import_file(path)
    with pytest.raises(DossiersRefused) as rows:
        row_by_row(path)
    found = [(p.line, p.column, p.message) for p in columns.value.problems]
    assert found == [(p.line, p.column, p.message) for p in rows.value.problems]
    assert {line for line, _, _ in found} == set(range(3, 13))
    assert (8, "code") in {(line, column) for line, column, _ in found}
    assert db.session.query(Dossier).count() == 0  # nothing stored


@pytest.mark.parametrize(
    "tail",
    [
        b"\n\n",  # a blank line
        b'"H15.50.05.13-261008-0009","1.0\n04227",A,,B,,2026-10-08T08:30:00,2026-10-22,,'
        b"dang_xu_ly,,\n",  # a value over two lines
        b"'H15.50.05.13-261008-0009,1.004227,A,,B,,2026-10-08T08:30:00,2026-10-22,,"
        b"dang_xu_ly,,\n",  # the formula guard of sipas's own CSV
        b",,,,,,,,,,,\n",  # a row of empty cells
    ],
)
def test_files_the_columns_would_misnumber_are_read_row_by_row(
    units: dict[str, Unit], tmp_path: Path, tail: bytes
) -> None:
    path = write_csv(tmp_path / "hs.csv", [dossier(1)])
    path.write_bytes(path.read_bytes() + tail)
    assert read_table(path, ",") is None
