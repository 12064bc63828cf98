"""The dossier validator and upsert (services/dossiers/ingest.py): every bad row named by
row, field and reason; all or nothing; created / updated / unchanged by fingerprint; the
stored values (UTC moments, the local returned day, the catalogue's procedure)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import AuditEntry, Dossier, Unit
from survey_app.services.dossiers import ingest, store

from .helpers import dossier, tree


@pytest.fixture
def units(app: Flask) -> dict[str, Unit]:
    return tree()


def run(rows: list[Any], **kw: Any) -> ingest.IngestResult:
    return ingest.ingest(enumerate(rows, 1), **kw)


def count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Dossier)) or 0)


def refused(rows: list[Any], **kw: Any) -> dict[tuple[int, str], str]:
    with pytest.raises(ingest.DossiersRefused) as caught:
        run(rows, **kw)
    return {(p.line, p.column): p.message for p in caught.value.problems}


def test_stored_values(units: dict[str, Unit]) -> None:
    # returned at 23:30 UTC on the 20th: the 21st in Vietnam
    result = run(
        [dossier(1, returned_at="2026-10-20T23:30:00Z", apology_sent="có", supplements="2")]
    )
    assert result.counts() == {"created": 1, "updated": 0, "unchanged": 0}
    [row] = db.session.scalars(select(Dossier)).all()
    assert row.received_at == datetime(2026, 10, 8, 1, 30, tzinfo=UTC)  # 08:30 Vietnam time
    assert row.returned_day == date(2026, 10, 21)
    assert row.due_date == date(2026, 10, 22)
    assert row.procedure is not None and row.procedure.code == "1.004227"
    assert row.receiving_unit.code == "A" and row.resolving_unit.code == "B"
    assert row.receiving_counter is not None and row.receiving_counter.code == "Q1"
    assert row.supplements == 2 and row.apology_sent is True
    assert len(row.fingerprint) == 32


def test_unknown_procedure_is_kept_without_a_link(units: dict[str, Unit]) -> None:
    run([dossier(1, procedure_code="2.000001", receiving_counter="", channel="")])
    row = db.session.scalars(select(Dossier)).one()
    assert row.procedure_id is None and row.procedure_code == "2.000001"
    assert row.channel is None and row.receiving_counter_id is None


def test_upsert_counts_and_changed_at(units: dict[str, Unit]) -> None:
    run([dossier(1, outcome="dang_xu_ly", returned_at=""), dossier(2)])
    first = db.session.scalars(select(Dossier).order_by(Dossier.id)).first()
    assert first is not None
    before = first.changed_at
    result = run([dossier(1), dossier(2), dossier(3)])
    assert result.counts() == {"created": 1, "updated": 1, "unchanged": 1}
    db.session.expire_all()
    one = db.session.scalars(select(Dossier).order_by(Dossier.id)).first()
    assert one is not None and one.outcome == "da_tra" and one.changed_at > before
    assert run([dossier(1), dossier(2), dossier(3)]).counts() == {
        "created": 0,
        "updated": 0,
        "unchanged": 3,
    }
    assert count() == 3


def test_dry_run_counts_and_stores_nothing(units: dict[str, Unit]) -> None:
    run([dossier(1)])
    result = run([dossier(1, supplements=1), dossier(2)], dry_run=True)
    assert result.counts() == {"created": 1, "updated": 1, "unchanged": 0}
    assert count() == 1
    assert db.session.scalars(select(Dossier)).one().supplements == 0


BAD: list[tuple[dict[str, Any], str]] = [
    ({"code": "HS-1"}, "code"),
    ({"code": ""}, "code"),
    ({"procedure_code": "x" * 41}, "procedure_code"),
    ({"receiving_unit": "NONE"}, "receiving_unit"),
    ({"resolving_unit": "NONE"}, "resolving_unit"),
    ({"receiving_counter": "Q9"}, "receiving_counter"),
    ({"channel": "zalo"}, "channel"),
    ({"received_at": "08/10/2026"}, "received_at"),
    ({"received_at": "2099-01-01T00:00:00"}, "received_at"),
    ({"due_date": "2026-10-7"}, "due_date"),
    ({"due_date": "2026-10-01"}, "due_date"),  # before the day it was received
    ({"returned_at": "2026-10-01T00:00:00"}, "returned_at"),  # before it was received
    ({"returned_at": ""}, "returned_at"),  # da_tra needs it
    ({"outcome": "rut", "returned_at": None}, "returned_at"),
    ({"outcome": "dang_xu_ly"}, "returned_at"),  # open, yet returned
    ({"outcome": "xong"}, "outcome"),
    ({"supplements": -1}, "supplements"),
    ({"supplements": "hai"}, "supplements"),
    ({"apology_sent": "maybe"}, "apology_sent"),
    ({"code": 12.5}, "code"),
    ({"unknown": "x"}, "unknown"),
]


@pytest.mark.parametrize(("change", "field"), BAD, ids=[f for _c, f in BAD])
def test_each_bad_field_is_named(
    units: dict[str, Unit], change: dict[str, Any], field: str
) -> None:
    found = refused([dossier(1), dossier(2, **change)])
    assert list(found) == [(2, field)], found
    assert count() == 0


def test_every_bad_row_in_one_round_and_nothing_stored(
    units: dict[str, Unit], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "CHUNK", 1000)  # chunks are written before the bad rows
    rows = [dossier(i) for i in range(1, 3_002)]
    rows[2_500]["due_date"] = "x"
    rows[2_900]["outcome"] = "x"
    rows[2_999]["code"] = rows[3]["code"]
    found = refused(rows)
    assert set(found) == {(2_501, "due_date"), (2_901, "outcome"), (3_000, "code")}
    assert "dòng 4" in found[(3_000, "code")]
    assert count() == 0


def test_problems_are_capped_and_counted(units: dict[str, Unit]) -> None:
    with pytest.raises(ingest.DossiersRefused) as caught:
        run([dossier(i, outcome="x") for i in range(150)], max_problems=100)
    assert len(caught.value.problems) == 100 and caught.value.total == 150


def test_units_outside_the_allowed_set(units: dict[str, Unit]) -> None:
    allowed = {units["A"].id}
    with pytest.raises(ingest.OutsideUnits) as caught:
        run([dossier(1, resolving_unit="A"), dossier(2)], allowed=allowed)
    assert [(p.line, p.column) for p in caught.value.problems] == [(2, "resolving_unit")]
    assert count() == 0
    assert run([dossier(1, resolving_unit="A")], allowed=allowed).created == 1


def test_empty_batch_is_refused(units: dict[str, Unit]) -> None:
    assert refused([]) == {(0, ""): "không có hồ sơ nào"}


def test_messages_in_english(units: dict[str, Unit]) -> None:
    with force_locale("en"):
        found = refused([dossier(1, outcome="xong")])
        text = str(ingest.DossiersRefused([ingest.Problem(2, "outcome", found[(1, "outcome")])]))
    assert found[(1, "outcome")].startswith("outcome “xong” is not valid")
    assert text.startswith("row 2, column outcome:")


def test_before_commit_adds_to_the_transaction(units: dict[str, Unit]) -> None:
    from survey_app.services.org import audit

    def note(result: ingest.IngestResult) -> None:
        audit.record(None, "dossiers.import", "file", "x.csv", None, result.counts())

    run([dossier(1)], before_commit=note)
    entry = db.session.scalars(select(AuditEntry)).one()
    assert entry.action == "dossiers.import" and entry.after == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
    }


def test_fingerprint_covers_every_stored_value() -> None:
    row = (
        "H1-261008-1",
        "1.1",
        None,
        1,
        None,
        2,
        None,
        datetime(2026, 1, 1, tzinfo=UTC),
        date(2026, 1, 2),
        None,
        None,
        "dang_xu_ly",
        0,
        False,
    )
    prints = {store.fingerprint(row)}
    for i, other in enumerate(
        [
            "H1-261008-2",
            "1.2",
            5,
            3,
            7,
            4,
            "truc_tiep",
            datetime(2026, 1, 1, 0, 1, tzinfo=UTC),
            date(2026, 1, 3),
            datetime(2026, 1, 2, tzinfo=UTC),
            date(2026, 1, 2),
            "rut",
            1,
            True,
        ]
    ):
        prints.add(store.fingerprint((*row[:i], other, *row[i + 1 :])))
    assert len(prints) == len(row) + 1
