"""Reading the METHOD §7 response file: round trip and located errors."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask import Flask

from survey_app.services import demo
from survey_app.services.exchange import csvfile as exchange

from ..factories import all_responses

HEADER = ",".join(exchange.columns())


def _file(tmp_path: Path, *rows: str, bom: bool = True) -> Path:
    path = tmp_path / "in.csv"
    path.write_text(("\ufeff" if bom else "") + "\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def _row(**cells: str) -> str:
    base = {c: "" for c in exchange.columns()}
    base.update(
        response_id="1",
        submitted_at="2026-03-01T08:30:00Z",
        unit_code="U1",
        target_group="chung",
        questionnaire="sipas-2024-dv",
        source="paper",
    )
    base.update(cells)
    return ",".join(base[c] for c in exchange.columns())


def test_export_then_read_gives_back_every_answer(app: Flask, tmp_path: Path) -> None:
    demo.create_organisation()
    demo.generate_responses(300, seed=3)
    out = tmp_path / "all.csv"
    assert exchange.export_file(out) == 300
    read = {int(r.response_id): r for r in exchange.read_response_file(out)}
    for resp in all_responses():
        row = read[resp.id]
        assert row.answers == resp.answers
        assert row.local_day == resp.local_day
        assert row.unit_code == resp.unit.code and row.questionnaire == resp.questionnaire_id


def test_time_without_offset_is_vietnam_local(tmp_path: Path) -> None:
    [row] = exchange.read_response_file(
        _file(tmp_path, _row(submitted_at="2026-03-01T06:30:00", A1="5"), bom=False)
    )
    assert row.submitted_at.astimezone(UTC) == datetime(2026, 2, 28, 23, 30, tzinfo=UTC)
    assert row.local_day == date(2026, 3, 1)


def test_every_bad_cell_is_reported_with_line_and_column(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        _row(A1="5"),
        _row(A1="6"),  # line 3: out of range
        _row(submitted_at="hôm qua", B1="4"),  # line 4: bad time
        _row(A0="4"),  # line 5: item of another version
        _row(target_group="dat", C1="4"),  # line 6: unknown code
        _row(),
    )  # line 7: no answers
    with pytest.raises(exchange.ResponseFileError) as caught:
        exchange.read_response_file(path)
    where = {(p.line, p.column) for p in caught.value.problems}
    assert where == {(3, "A1"), (4, "submitted_at"), (5, "A0"), (6, "target_group"), (7, "")}
    assert "dòng 3, cột A1" in str(caught.value)


def test_missing_column_is_reported_on_the_header(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("response_id,A1\n1,5\n", encoding="utf-8")
    with pytest.raises(exchange.ResponseFileError) as caught:
        exchange.read_response_file(path)
    assert all(p.line == 1 for p in caught.value.problems)
    assert {p.column for p in caught.value.problems} >= {"submitted_at", "unit_code"}


def test_not_utf8_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(HEADER.encode() + b"\n1,\xff\xfe\n")
    with pytest.raises(exchange.ResponseFileError, match="UTF-8"):
        exchange.read_response_file(path)
