"""sipas import as a service: all or nothing, every error located, idempotent, round trip."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import Response
from survey_app.models.responses import DayBlock
from survey_app.services.exchange import csvfile as exchange
from survey_app.services.exchange import importer

from .. import daystats_check
from ..factories import all_responses
from .helpers import row, world, write_csv


def _count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Response)) or 0)


def test_a_clean_file_imports_every_row_with_its_source(app: Flask, tmp_path: Path) -> None:
    w = world()
    path = write_csv(
        tmp_path / "ok.csv",
        [
            row(A1="5", B1="4", C1="3", comment="Cán bộ nhiệt tình, chu đáo"),
            row(
                counter_code="Q1",
                procedure_code="1.004227",
                target_group="dat_dai_xay_dung_dau_tu",
                channel="truc_tiep",
                A1="2",
                Q5="1",
                X5="4",
            ),
            row(
                submitted_at="2026-03-02 23:30",
                source="zalo-mini-app",
                A0="4",
                questionnaire="sipas-2024-nhanh",
            ),
        ],
    )
    result = importer.import_file(path)
    assert (result.rows, result.added, result.skipped) == (3, 3, 0)
    first, second, third = all_responses()
    assert first.source == "paper" and first.comment == "Cán bộ nhiệt tình, chu đáo"
    assert first.answers == {"A1": 5, "B1": 4, "C1": 3} and first.unit_id == w["in"].id
    assert first.submitted_at == datetime(2026, 3, 2, 2, 15, tzinfo=UTC)
    assert first.idempotency_key.startswith("imp-") and first.receipt_hash is None
    assert second.counter_id == w["counter_in"].id and second.procedure_id == w["land"].id
    assert second.target_group == "dat_dai_xay_dung_dau_tu" and second.channel == "truc_tiep"
    assert third.source == "zalo-mini-app" and third.questionnaire_id == "sipas-2024-nhanh"
    assert str(third.local_day) == "2026-03-02"  # no offset: Vietnam local time
    # The day (closed, empty before) got its statistics in the same transaction.
    assert daystats_check.assert_stored_days_match_the_responses() == {third.local_day}


def test_source_option_fills_only_empty_source_cells(app: Flask, tmp_path: Path) -> None:
    world()
    path = write_csv(tmp_path / "s.csv", [row(A1="5"), row(A1="4", source="kiosk")])
    importer.import_file(path, source="he-thong-mot-cua")
    assert [r.source for r in all_responses()] == ["he-thong-mot-cua", "kiosk"]


def test_a_bad_file_imports_nothing_and_names_every_bad_row(app: Flask, tmp_path: Path) -> None:
    world()
    path = write_csv(
        tmp_path / "bad.csv",
        [
            row(A1="5"),  # line 2: fine
            row(A1="7"),  # 3: answer out of range
            row(unit_code="KHONG", A1="4"),  # 4: unknown unit
            row(counter_code="Q9", A1="4"),  # 5: counter not of the unit
            row(procedure_code="1.004227", A1="4"),  # 6: land procedure, "chung"
            row(submitted_at="hôm qua", A1="4"),  # 7: bad moment
            row(response_id="abc", A1="4"),  # 8: bad id
            row(A1="4", comment="x" * 2001),  # 9: comment too long
            row(submitted_at="2099-01-01T00:00:00Z", A1="4"),  # 10: in the future
            row(response_id="500", A1="4"),  # 11: fine
            row(response_id="500", A1="3"),  # 12: id used twice
            row(source="Hệ thống", A1="4"),  # 13: bad source name
        ],
    )
    with pytest.raises(importer.ImportRefused) as caught:
        importer.import_file(path)
    got = {(p.line, p.column) for p in caught.value.problems}
    assert got == {
        (3, "A1"),
        (4, "unit_code"),
        (5, "counter_code"),
        (6, "target_group"),
        (7, "submitted_at"),
        (8, "response_id"),
        (9, "comment"),
        (10, "submitted_at"),
        (12, "response_id"),
        (13, "source"),
    }
    messages = "\n".join(str(p) for p in caught.value.problems)
    assert "dòng 4, cột unit_code: không có đơn vị mã 'KHONG'" in messages
    assert "mã phản hồi 500 đã xuất hiện ở dòng 11" in messages
    assert _count() == 0
    assert db.session.scalar(select(func.count()).select_from(DayBlock)) == 0


def test_rows_outside_the_scope_are_errors(app: Flask, tmp_path: Path) -> None:
    w = world()
    path = write_csv(tmp_path / "scope.csv", [row(A1="5"), row(unit_code="OUT", A1="4")])
    with pytest.raises(importer.ImportRefused) as caught:
        importer.import_file(path, scope={w["in"].id})
    [problem] = caught.value.problems
    assert (problem.line, problem.column) == (3, "unit_code")
    assert "ngoài phạm vi" in problem.message
    assert _count() == 0


def test_a_reimport_adds_nothing_and_identical_paper_forms_are_two_citizens(
    app: Flask, tmp_path: Path
) -> None:
    world()
    twins = [row(A1="5", B1="5"), row(A1="5", B1="5"), row(A1="3")]
    path = write_csv(tmp_path / "paper.csv", twins)
    assert importer.import_file(path).added == 3  # the identical forms are two people
    again = importer.import_file(path)
    assert (again.added, again.skipped) == (0, 3)
    longer = write_csv(tmp_path / "more.csv", [*twins, row(A1="5", B1="5")])
    assert (importer.import_file(longer).added, _count()) == (1, 4)  # a third such form


def test_response_ids_are_kept_recognised_and_never_overwritten(app: Flask, tmp_path: Path) -> None:
    world()
    path = write_csv(
        tmp_path / "ids.csv",
        [row(response_id="41", A1="5"), row(response_id="77", A1="4", comment="Tốt")],
    )
    result = importer.import_file(path)
    assert (result.added, result.kept_ids) == (2, 2)
    assert [r.id for r in all_responses()] == [41, 77]
    assert importer.import_file(path).skipped == 2
    changed = write_csv(
        tmp_path / "changed.csv",
        [
            row(response_id="41", A1="5"),
            row(response_id="77", A1="1", comment="Tốt"),
            row(response_id="90", A1="2"),
        ],
    )
    with pytest.raises(importer.ImportRefused) as caught:
        importer.import_file(changed)
    [problem] = caught.value.problems
    assert problem.line == 3 and "phản hồi 77 đã có" in problem.message
    assert "answers" in problem.message
    assert _count() == 2  # the new row 90 was not stored either


def test_dry_run_stores_nothing(app: Flask, tmp_path: Path) -> None:
    world()
    path = write_csv(tmp_path / "dry.csv", [row(A1="5"), row(unit_code="P", A1="4")])
    result = importer.import_file(path, dry_run=True)
    assert (result.added, result.dry_run, result.by_unit) == (2, True, {"IN": 1, "P": 1})
    assert _count() == 0


def test_export_then_import_into_an_empty_database_round_trips(app: Flask, tmp_path: Path) -> None:
    from survey_app.services import demo

    demo.create_organisation()
    demo.generate_responses(400, seed=5)
    before = {
        r.id: (
            r.unit_id,
            r.counter_id,
            r.procedure_id,
            r.target_group,
            r.channel,
            r.questionnaire_id,
            r.source,
            r.answers,
            r.comment,
            r.local_day,
            r.submitted_at.replace(microsecond=0),
        )
        for r in all_responses()
    }
    stats = daystats_check.stored()
    assert stats[1]  # the demo's closed days are stored
    out = tmp_path / "export.csv"
    exchange.export_file(out)
    assert importer.import_file(out).skipped == 400  # into the same database: nothing new
    db.session.execute(Response.__table__.delete())
    db.session.execute(DayBlock.__table__.delete())
    db.session.commit()
    result = importer.import_file(out)
    assert result.added == 400 and result.kept_ids == 400
    after = {
        r.id: (
            r.unit_id,
            r.counter_id,
            r.procedure_id,
            r.target_group,
            r.channel,
            r.questionnaire_id,
            r.source,
            r.answers,
            r.comment,
            r.local_day,
            r.submitted_at,
        )
        for r in all_responses()
    }
    assert after == before
    assert daystats_check.stored() == stats  # the import stored the same day blocks
