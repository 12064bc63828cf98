"""Re-import of rows whose response_id is stored: compared column by column, every field.

Each case changes exactly one field of one stored row: the error must name that field only
and list that line only; a change the export cannot show (under a second, None vs "") is
the same response.  Rows stored online (JSON written another way than the bulk loader
writes it) are recognised too.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, text

import forms
from survey_app.extensions import db
from survey_app.models import Response
from survey_app.services import org
from survey_app.services.exchange import csvfile as exchange
from survey_app.services.exchange import importer, importread
from survey_app.services.ingest import responses
from survey_app.services.storage import bulkload

from ..factories import token_of
from .helpers import row, world, write_csv


def _count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Response)) or 0)


def _rows() -> list[dict[str, str]]:
    """Five stored responses with ids, every field used somewhere (lines 2–6)."""
    return [
        row(response_id="11", A1="5", B1="4"),
        row(
            response_id="12",
            counter_code="Q1",
            procedure_code="2.000889",
            channel="truc_tiep",
            A1="3",
            C1="2",
            comment="Cán bộ tận tình",
        ),
        row(response_id="13", submitted_at="2026-03-03T10:00:00.999999+07:00", A2="4", X10="1"),
        row(
            response_id="14",
            counter_code="Q1",
            procedure_code="1.004227",
            target_group="dat_dai_xay_dung_dau_tu",
            A1="1",
            Q5="2",
            source="kiosk",
        ),
        row(
            response_id="15", questionnaire="sipas-2024-nhanh", Q5="2", Q6="1", comment="Tốt, nhanh"
        ),
    ]


# (index of the row changed, its changed cells, the fields named; "" = the same response)
CASES = {
    "submitted_at one second later": (
        0,
        {"submitted_at": "2026-03-02T09:15:01+07:00"},
        "submitted_at",
    ),
    "submitted_at 0.4 s later": (0, {"submitted_at": "2026-03-02T09:15:00.4+07:00"}, ""),
    "submitted_at .999999 cut to the second": (
        2,
        {"submitted_at": "2026-03-03T10:00:00+07:00"},
        "",
    ),
    "submitted_at in UTC, same moment": (0, {"submitted_at": "2026-03-02T02:15:00Z"}, ""),
    "unit": (0, {"unit_code": "OUT"}, "unit_code"),
    "counter added": (0, {"counter_code": "Q1"}, "counter_code"),
    "counter removed": (1, {"counter_code": ""}, "counter_code"),
    "procedure removed": (1, {"procedure_code": ""}, "procedure_code"),
    "procedure added": (0, {"procedure_code": "2.000889"}, "procedure_code"),
    "target group": (0, {"target_group": "dat_dai_xay_dung_dau_tu"}, "target_group"),
    "channel added": (0, {"channel": "buu_chinh"}, "channel"),
    "channel removed": (1, {"channel": ""}, "channel"),
    "channel changed": (1, {"channel": "buu_chinh"}, "channel"),
    "questionnaire": (4, {"questionnaire": "sipas-2024-dv"}, "questionnaire"),
    "questionnaire and its answers": (
        4,
        {"questionnaire": "sipas-2024-dv", "Q5": "", "A1": "2"},
        "questionnaire, answers",
    ),
    "source": (3, {"source": "zalo"}, "source"),
    "source left empty (paper) for kiosk": (3, {"source": ""}, "source"),
    "source written out as paper": (0, {"source": "paper"}, ""),
    "one answer value": (1, {"C1": "3"}, "answers"),
    "an extra answer": (0, {"D3": "2"}, "answers"),
    "an answer less": (2, {"X10": ""}, "answers"),
    "comment changed": (1, {"comment": "Cán bộ tận tình."}, "comment"),
    "comment added": (0, {"comment": "Tốt"}, "comment"),
    "comment removed": (4, {"comment": ""}, "comment"),
    "comment with spaces around": (1, {"comment": "  Cán bộ tận tình "}, ""),
}


@pytest.mark.parametrize("case", list(CASES))
def test_one_field_of_one_stored_row_changed(app: Flask, tmp_path: Path, case: str) -> None:
    world()
    original = _rows()
    assert importer.import_file(write_csv(tmp_path / "first.csv", original)).added == 5
    which, cells, named = CASES[case]
    changed = [dict(r) for r in original]
    changed[which].update(cells)
    path = write_csv(tmp_path / "again.csv", changed)
    if not named:
        result = importer.import_file(path)
        assert (result.added, result.skipped) == (0, 5)
        return
    with pytest.raises(importer.ImportRefused) as caught:
        importer.import_file(path)
    [problem] = caught.value.problems
    rid = original[which]["response_id"]
    assert (problem.line, problem.column) == (which + 2, "response_id")
    assert problem.message == importer.CHANGED.format(rid=rid, what=named)
    assert _count() == 5


def test_fields_that_differ_are_named_in_the_file_order(app: Flask, tmp_path: Path) -> None:
    world()
    original = _rows()
    importer.import_file(write_csv(tmp_path / "first.csv", original))
    changed = [dict(r) for r in original]
    changed[1].update(
        comment="", A1="4", submitted_at="2026-03-02T09:16:00+07:00", source="kiosk", channel=""
    )
    changed[3].update(unit_code="OUT", counter_code="Q1")  # OUT's own counter Q1
    with pytest.raises(importer.ImportRefused) as caught:
        importer.import_file(write_csv(tmp_path / "again.csv", changed))
    got = [(p.line, p.message) for p in caught.value.problems]
    assert got == [
        (
            3,
            importer.CHANGED.format(rid=12, what="submitted_at, channel, source, answers, comment"),
        ),
        (5, importer.CHANGED.format(rid=14, what="unit_code, counter_code")),
    ]


@pytest.mark.parametrize("chunks", [(100_000, 900), (3, 2)], ids=["one-read", "many-reads"])
def test_stored_ids_among_other_stored_ids(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunks: tuple[int, int]
) -> None:
    """Ids read by range (the stored rows between them not in the file are left out) or in
    lists (scattered ids), in one read or several: the same outcome."""
    monkeypatch.setattr(importer, "_READ", chunks[0])
    monkeypatch.setattr(importer, "_CHUNK", chunks[1])
    world()
    ids = [*range(1, 21), 5_000, 90_000, 2_000_000_000]
    stored = [
        row(
            response_id=str(i),
            A1=str(1 + i % 5),
            B2=str(1 + i % 3),
            comment="" if i % 4 else f"ý kiến {i}",
        )
        for i in ids
    ]
    importer.import_file(write_csv(tmp_path / "all.csv", stored))
    odd = [r for k, r in enumerate(stored) if k % 2 == 0]  # ids 1, 3, …, 19 and two far ones
    for part in (odd[:10], odd):  # a dense run (ids 1–19 read as a range), scattered ids
        again = importer.import_file(write_csv(tmp_path / "odd.csv", part))
        assert (again.added, again.skipped) == (0, len(part))
    odd[3] = {**odd[3], "B2": "3" if odd[3]["B2"] != "3" else "1"}  # id 7, line 5
    odd[-1] = {**odd[-1], "comment": "khác"}  # id 2,000,000,000, the last line
    new = row(response_id="21", A1="5")  # not stored: added
    with pytest.raises(importer.ImportRefused) as caught:
        importer.import_file(write_csv(tmp_path / "changed.csv", [*odd, new]))
    assert [(p.line, p.message) for p in caught.value.problems] == [
        (5, importer.CHANGED.format(rid=7, what="answers")),
        (len(odd) + 1, importer.CHANGED.format(rid=2_000_000_000, what="comment")),
    ]
    mixed = importer.import_file(write_csv(tmp_path / "mixed.csv", [*stored[:3], new]))
    assert (mixed.added, mixed.skipped, mixed.kept_ids) == (1, 3, 1)


def test_rows_stored_online_are_recognised_in_their_export(app: Flask, tmp_path: Path) -> None:
    """The online path stores the answers' JSON in the citizen's order with spaces (not as
    the bulk loader writes it): the export of such rows imports as already stored, and a
    changed answer is still found."""
    w = world()
    info = org.counter_by_token(token_of(w["counter_in"]))
    assert info is not None
    q = forms.get("sipas-2024-dv")
    moment = datetime(2026, 3, 2, 1, 0, 0, 999_999, tzinfo=UTC)
    sent = [{"X5": 4, "C1": 3, "A1": 5}, {"B2": "2", "A3": 1}, {"E3": 5}]
    ids = []
    for k, answers in enumerate(sent):
        stored = responses.submit(
            info,
            q,
            responses.Submission(
                answers=answers,
                channel="truc_tiep" if k else None,
                comment="  Rất hài lòng  " if k == 1 else None,
                submitted_at=moment + timedelta(minutes=k),
            ),
        )
        ids.append(stored.response_id)
    as_stored = list(
        db.session.execute(
            text("SELECT CAST(answers AS TEXT) FROM responses ORDER BY id")
        ).scalars()
    )
    written = bulkload.answers_json(
        importread._dicts_matrix([{c: int(v) for c, v in a.items()} for a in sent])
    )
    assert as_stored[0] != written[0] and as_stored[1] != written[1]  # another way
    out = tmp_path / "online.csv"
    assert exchange.export_file(out) == 3
    result = importer.import_file(out)
    assert (result.added, result.skipped) == (0, 3)

    lines = out.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(",")
    cells = lines[2].split(",")  # the second response (line 3)
    cells[header.index("A3")] = "2"
    lines[2] = ",".join(cells)
    changed = tmp_path / "changed.csv"
    changed.write_text("\ufeff" + "\r\n".join(lines) + "\r\n", encoding="utf-8")
    with pytest.raises(importer.ImportRefused) as caught:
        importer.import_file(changed)
    [problem] = caught.value.problems
    assert problem.line == 3
    assert problem.message == importer.CHANGED.format(rid=ids[1], what="answers")


def test_stored_answers_written_by_hand_compare_as_code_value(app: Flask, tmp_path: Path) -> None:
    """Stored JSON with other spacing or key order is the same, a value stored as text
    "4" is the number 4 (as before); what the file cannot hold (an answer 0, an unknown
    item code) differs."""
    world()
    path = write_csv(
        tmp_path / "first.csv", [row(response_id=str(i), A1="5", B1="4") for i in range(1, 6)]
    )
    importer.import_file(path)
    stored = {
        2: '{ "B1" : 4,"A1":5 }',
        3: '{"A1": 5, "B1": 4, "C1": 0}',
        4: '{"A1": 5, "B1": 4, "ZZ": 3}',
        5: '{"A1": 5, "B1": "4"}',
    }
    json_value = ":a" if db.engine.dialect.name == "sqlite" else "CAST(:a AS json)"
    for rid, answers in stored.items():
        db.session.execute(
            text(f"UPDATE responses SET answers = {json_value} WHERE id = :i"),
            {"a": answers, "i": rid},
        )
    db.session.commit()
    with pytest.raises(importer.ImportRefused) as caught:
        importer.import_file(path)
    assert [(p.line, p.message) for p in caught.value.problems] == [
        (4, importer.CHANGED.format(rid=3, what="answers")),
        (5, importer.CHANGED.format(rid=4, what="answers")),
    ]
