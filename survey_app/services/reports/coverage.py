"""The coverage table of a report pack (issue 14): per unit of the report's tree, the
dossiers returned at it in the period (served), invited, answered (verified responses), its
open responses and the response rate with its 95 % interval (:mod:`..analytics.coverage`);
a serving unit whose own coverage is under the minimum is marked not representative.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from scoring import Coverage, Cutoff
from survey_app.models import Unit
from survey_app.services.analytics import coverage as cover
from survey_app.services.analytics import tree
from survey_app.services.analytics.results import ScoredGroup
from survey_app.services.analytics.slices import Slice
from survey_app.services.reports.model import Cell, Column, Table

__all__ = ["coverage_table", "unrepresentative_units"]

KEY = "do_bao_phu"
NOT_REPRESENTATIVE = "Chưa đại diện (không xếp hạng)"


def _counts(
    start: date, end: date, by: tuple[str, ...], root: Unit | None, cutoff: str, aggregate: str
) -> dict[tuple[str, ...], cover.Counts]:
    query = Slice(
        start=start,
        end=end,
        by=by,
        cutoff=Cutoff(cutoff),
        unit_code=root.code if root else None,
        aggregate=aggregate,
    )
    return cover.counts(query) or {}


def unrepresentative_units(
    start: date,
    end: date,
    root: Unit | None,
    cutoff: str,
    min_n: int,
) -> frozenset[str]:
    """Codes of the units whose own dossiers' coverage is under the minimum: listed, not
    ranked (the open responses do not change it)."""
    found = _counts(start, end, ("unit",), root, cutoff, "own")
    return frozenset(
        code
        for (code,), counted in found.items()
        if cover.not_representative(cover.coverage_for(counted, 0, min_n))
    )


def coverage_table(
    start: date,
    end: date,
    root: Unit | None,
    cutoff: str,
    nodes: Sequence[tree.Node],
    now: Mapping[str, ScoredGroup],
    whole: ScoredGroup | None,
    min_n: int,
) -> Table:
    """The report's first row (every unit of the report) and each unit with dossiers, as the
    tree (parents pooled over their subtrees), with the representativeness of serving units."""
    pooled = _counts(start, end, ("unit",), root, cutoff, "pool")
    all_of = _counts(start, end, (), root, cutoff, "pool").get(())
    apart = unrepresentative_units(start, end, root, cutoff, min_n)

    def cells(c: Coverage | None) -> tuple[Cell, ...]:
        if c is None:
            return (0, 0, 0, None, None, (None, None))
        return (c.served, c.invited, c.answered, c.open, c.rate, (c.rate_ci_low, c.rate_ci_high))

    first = cover.coverage_for(all_of, whole.n_open if whole else 0, min_n)
    rows: list[tuple[Cell, ...]] = [("", root.name if root else "Tất cả đơn vị", *cells(first), "")]
    depths = [0]
    for node in nodes:
        counted = pooled.get((node.code,))
        if counted is None:
            continue
        g = now.get(node.code)
        c = cover.coverage_for(counted, g.n_open if g else 0, min_n)
        mark = NOT_REPRESENTATIVE if node.serving and node.code in apart else ""
        rows.append((node.code, node.unit.name, *cells(c), mark))
        depths.append(node.depth + 1)
    columns = (
        Column("ma", "Mã", "text", 1.2),
        Column("don_vi", "Đơn vị", "text", 4.0),
        Column("da_tra", "Hồ sơ đã trả", "int", 1.0),
        Column("loi_moi", "Đã gửi lời mời", "int", 1.0),
        Column("xac_thuc", "Phản hồi xác thực", "int", 1.0),
        Column("mo", "Phản hồi mở", "int", 1.0),
        Column("ti_le", "Tỉ lệ trả lời (%)", "pct", 1.0),
        Column("ktc", "KTC 95 %", "ci", 1.4),
        Column("dai_dien", "Đại diện", "text", 1.8),
    )
    note = (
        "Hồ sơ đã trả: hồ sơ trả kết quả trong kỳ, tính tại nơi tiếp nhận (nơi người dân được "
        "phục vụ); tỉ lệ trả lời = phản hồi xác thực ÷ hồ sơ đã trả, KTC 95 % Wilson. Phản hồi "
        "mở (mã QR quầy, kiosk, API, tệp) không gắn với hồ sơ nên không tính vào tỉ lệ. Đơn vị "
        f"có tỉ lệ dưới {cover.min_rate():g} % hoặc dưới {min_n} phản hồi xác thực: chưa đại "
        "diện, không xếp hạng."
    )
    return Table(
        KEY,
        "Độ bao phủ: hồ sơ đã trả, lời mời và phản hồi",
        columns,
        tuple(rows),
        note,
        depths=tuple(depths),
    )
