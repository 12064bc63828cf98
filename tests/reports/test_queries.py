"""The report's queries at scale, on the golden dataset: channel and procedure breakdowns from
the stored day blocks (no answer read row by row), the comment sample (newest first,
bounded, stopping once each factor has its sample), source counts from one GROUP BY."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask

from survey_app.extensions import db
from survey_app.models import Procedure
from survey_app.services.analytics import scores
from survey_app.services.reports import ReportSpec, build, content
from survey_app.services.storage import daystats

from . import golden
from .golden import Q1, SUBTREE, Dataset, Record

TOL = 1e-6


@pytest.fixture
def data(app: Flask) -> Dataset:
    return golden.build()


def newest_first(data: Dataset, units: set[str]) -> list[Record]:
    """Q1's commented records of ``units``, newest first: last day first, then the highest
    id (records are stored in list order, so ids follow it)."""
    commented = [
        (k, r)
        for k, r in enumerate(data.records)
        if r.comment and Q1[0] <= r.day <= Q1[1] and r.unit in units
    ]
    return [r for _k, r in sorted(commented, key=lambda kr: (kr[1].day, kr[0]), reverse=True)]


def shown(data: Dataset, r: Record) -> tuple[str, str, str]:
    return (f"{r.day:%d/%m/%Y}", data.units[r.unit].name, content.redact(r.comment or ""))


def expected_read(records: list[Record], per_factor: int, limit: int) -> int:
    """How many comments a newest-first scan reads before every factor A–E has
    ``per_factor`` of them, or ``limit`` were read, or none are left."""
    counts: dict[str, int] = {}
    for k, r in enumerate(records, start=1):
        factor = golden.lowest_factor(r)
        counts[factor] = counts.get(factor, 0) + 1
        if k == limit or all(counts.get(f, 0) >= per_factor for f in "ABCDE"):
            return k
    return len(records)


def groups_of(records: list[Record], per_factor: int) -> dict[str, list[Record]]:
    out: dict[str, list[Record]] = {}
    for r in records:
        out.setdefault(golden.lowest_factor(r), []).append(r)
    return out


def test_the_comment_sample_is_the_newest_of_each_factor(data: Dataset) -> None:
    report = build(ReportSpec("2026-Q1"))
    records = newest_first(data, SUBTREE["P"])
    read = expected_read(records, content.COMMENTS_PER_FACTOR, content.COMMENTS_READ)
    expected = groups_of(records[:read], content.COMMENTS_PER_FACTOR)
    assert [g.factor for g in report.comments] == [f for f in (*"ABCDE", "") if f in expected]
    for group in report.comments:
        mine = expected[group.factor]
        assert group.total == len(mine)
        assert list(group.comments) == [shown(data, r) for r in mine[: content.COMMENTS_PER_FACTOR]]
    note = report.table("y_kien").note
    if read < len(records):
        assert f"xếp từ {read} ý kiến mới nhất trong tổng số {len(records)} ý kiến" in note
    else:
        assert f"xếp từ toàn bộ {len(records)} ý kiến của kỳ" in note


@pytest.mark.parametrize("per_factor", [1, 2, 3])
def test_the_comment_scan_stops_once_each_factor_has_its_sample(
    data: Dataset, monkeypatch: pytest.MonkeyPatch, per_factor: int
) -> None:
    monkeypatch.setattr(content, "COMMENTS_PER_FACTOR", per_factor)
    names = {u.id: u.name for u in data.units.values()}
    for scope in ("P", "A"):
        ids = None if scope == "P" else [data.units["A"].id]
        records = newest_first(data, SUBTREE[scope])
        groups, read = content._comments(Q1[0], Q1[1], ids, names)
        assert read == expected_read(records, per_factor, content.COMMENTS_READ)
        expected = groups_of(records[:read], per_factor)
        assert {g.factor: list(g.comments) for g in groups} == {
            f: [shown(data, r) for r in rs[:per_factor]] for f, rs in expected.items()
        }


def test_the_comment_scan_is_bounded(data: Dataset, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(content, "COMMENTS_READ", 4)
    report = build(ReportSpec("2026-Q1"))
    records = newest_first(data, SUBTREE["P"])
    assert len(records) > 4
    assert sum(g.total for g in report.comments) == 4
    read = {c for g in report.comments for c in g.comments}
    assert read == {shown(data, r) for r in records[:4]}
    assert (
        f"xếp từ 4 ý kiến mới nhất trong tổng số {len(records)} ý kiến của kỳ"
        in report.table("y_kien").note
    )


def test_source_counts_for_the_whole_tree_and_a_subtree(data: Dataset) -> None:
    for unit in ("P", "L"):
        report = build(ReportSpec("2026-Q1", unit_code=unit))
        expected: dict[str, int] = {}
        for r in data.select(Q1, SUBTREE[unit]):
            expected[r.source] = expected.get(r.source, 0) + 1
        assert dict(report.sources) == expected
        counts = [n for _s, n in report.sources]
        assert counts == sorted(counts, reverse=True)  # most first


def test_breakdowns_come_from_the_stored_days_without_reading_answers(
    data: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The days are stored once (as a bulk load or the first request would store them) ...
    daystats.ensure(date(2025, 1, 1), date(2026, 3, 31))
    db.session.commit()
    assert (daystats.read(date(2025, 1, 1), date(2026, 3, 31), None).procedure_id != 0).any()

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the report read answers row by row")

    # ... then the report reads no answer for any score (only the comment sample does).
    monkeypatch.setattr(scores, "_raw_rows", refuse)
    monkeypatch.setattr(daystats, "_compute", refuse)
    monkeypatch.setattr(daystats, "_read_open", refuse)
    report = build(ReportSpec("2026-Q1"))
    channels = {r[0]: r for r in report.table("hinh_thuc").rows}
    assert set(channels) == {"truc_tiep", "truc_tuyen_mot_phan", ""}
    for code, row in channels.items():
        now = data.select(Q1, SUBTREE["P"], channel=code or None)
        assert row[2] == len(now) and abs(row[3] - golden.sipas(now)) < TOL
    ids = {p.code: p for p in db.session.query(Procedure)}
    procedures = {r[0]: r for r in report.table("thu_tuc").rows}
    assert set(procedures) == {r.procedure or "" for r in data.select(Q1)}
    for code, row in procedures.items():
        now = data.select(Q1, SUBTREE["P"], procedure=code or None)
        assert row[4] == len(now) and abs(row[5] - golden.sipas(now)) < TOL
        if code:
            assert row[1] == ids[code].name


@pytest.mark.parametrize("unit", [None, "A", "L"])
def test_one_read_for_several_groupings_scores_as_each_alone(
    data: Dataset, unit: str | None
) -> None:
    query = scores.Slice(start=Q1[0], end=Q1[1], unit_code=unit)
    groupings = (
        ("channel",),
        ("procedure",),
        ("procedure", "channel"),
        ("target_group",),
        ("month",),
    )
    together = scores.score_database_each(query, groupings, chunk=7)  # several chunks
    for by, found in zip(groupings, together, strict=True):
        alone = scores.score_database(scores.Slice(start=Q1[0], end=Q1[1], by=by, unit_code=unit))
        assert found == alone, by
    with pytest.raises(scores.ScoreError):
        scores.score_database_each(query, (("unit",),))
