"""Build a :class:`~.model.Report`: every figure comes from
:func:`survey_app.services.analytics.scores.score_stored` (stored half-months where they
apply) and changes from :func:`scoring.compare` (via :mod:`..overview`); this module only selects,
orders and labels them, and reads what scores do not hold (comments, sources).

Why this module is long: it is the report's table of contents — one short builder per table
and chart (ranking, groups, levels, procedures, comments, sources, trend, profile, methods),
all selecting from the same score results, and :func:`build_report`, which orders them and
reports progress.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select

import forms
from scoring import Cutoff, Estimate
from survey_app.extensions import db
from survey_app.models import Procedure, Response, Unit
from survey_app.services.analytics import exclusions, tree
from survey_app.services.analytics.office import change
from survey_app.services.analytics.output import FLAG_LABELS
from survey_app.services.analytics.results import ScoredGroup
from survey_app.services.analytics.scores import score_stored, score_stored_each
from survey_app.services.analytics.slices import LAND, RESPONSES, ScoreError, Slice
from survey_app.services.formatting import MASKED, masked
from survey_app.services.org import subtree_ids
from survey_app.services.reports import coverage
from survey_app.services.reports.errors import N_, ReportError
from survey_app.services.reports.formatting import day as day_text
from survey_app.services.reports.formatting import number
from survey_app.services.reports.indicators import indicators_table
from survey_app.services.reports.model import (
    Column,
    CommentGroup,
    Profile,
    Report,
    Summary,
    Table,
    TrendPoint,
    UnitBar,
)
from survey_app.services.reports.spec import (
    TREND_PERIODS,
    ReportSpec,
    period_dates,
    previous_period,
    short_label,
)

FACTORS = ("A", "B", "C", "D", "E")
FACTOR_NAMES = {
    "A": "Tiếp cận dịch vụ",
    "B": "Thủ tục hành chính",
    "C": "Công chức trực tiếp giải quyết công việc",
    "D": "Kết quả giải quyết",
    "E": "Tiếp nhận, xử lý phản ánh, kiến nghị",
}
CHANNEL_NAMES = {
    "truc_tiep": "Trực tiếp tại Bộ phận Một cửa",
    "truc_tuyen_toan_trinh": "Trực tuyến toàn trình",
    "truc_tuyen_mot_phan": "Trực tuyến một phần",
    "buu_chinh": "Qua dịch vụ bưu chính công ích",
    "": "Không ghi hình thức",
}
GROUP_NAMES = {"chung": "Chung", LAND: "Đất đai, xây dựng, đầu tư"}
SOURCE_NAMES = {
    "qr": "Mã QR tại quầy (điện thoại)",
    "kiosk": "Ki-ốt đánh giá",
    "api": "Phần mềm một cửa (API)",
    "paper": "Phiếu giấy (nhập lại)",
    "invitation": "Lời mời theo hồ sơ (tin nhắn, phiếu in)",
}
INTEGRITY_NAMES = {
    "Q5": "Có công chức gây phiền hà, sách nhiễu",
    "Q6": "Phải đưa tiền ngoài quy định",
}
MIN_N = 30
CHART_UNITS = 30
COMMENTS_PER_FACTOR = 5
COMMENTS_READ = 2000
DEFAULT_PLACE = "Bộ phận Một cửa"
# Personal data a citizen may type into a comment: hidden by the one function every page uses.
REDACTED = MASKED

Progress = Callable[[float, str], None]


# Which responses the report being built counts (``ReportSpec.responses``, issue 13): set
# by :func:`build_report` for its build, read by every score it asks for.
_RESPONSES: ContextVar[str] = ContextVar("report_responses", default="all")


def _quiet(_fraction: float, _message: str) -> None:
    return None


# --- scope --------------------------------------------------------------------------------


def _root(spec: ReportSpec, unit_ids: list[int] | None) -> Unit | None:
    allowed = set(unit_ids) if unit_ids is not None else None
    if spec.unit_code is not None:
        unit = db.session.scalar(select(Unit).where(Unit.code == spec.unit_code))
        if unit is None or (allowed is not None and unit.id not in allowed):
            raise ReportError(
                N_("Không có đơn vị mã “%(code)s” trong phạm vi được xem."), code=spec.unit_code
            )
        return unit
    if allowed is not None:
        units = list(db.session.scalars(select(Unit).where(Unit.id.in_(allowed))))
        tops = [u for u in units if u.parent_id not in allowed]
        if not tops:
            raise ReportError(N_("Không có đơn vị nào trong phạm vi được xem."))
        if len(tops) > 1:
            raise ReportError(N_("Phạm vi gồm nhiều đơn vị riêng rẽ: hãy chọn một đơn vị."))
        return tops[0]
    tops = list(db.session.scalars(select(Unit).where(Unit.parent_id.is_(None))))
    return tops[0] if len(tops) == 1 else None


def _score(
    start: date,
    end: date,
    by: tuple[str, ...],
    unit: Unit | None,
    cutoff: str,
    aggregate: str = "pool",
) -> tuple[ScoredGroup, ...]:
    try:
        return score_stored(
            Slice(
                start=start,
                end=end,
                by=by,
                cutoff=Cutoff(cutoff),
                unit_code=unit.code if unit else None,
                min_n=MIN_N,
                aggregate=aggregate,
                where=RESPONSES[_RESPONSES.get()],
            )
        )
    except ScoreError as exc:  # pragma: no cover - the spec is validated before
        raise ReportError(str(exc)) from None


def _whole(start: date, end: date, unit: Unit | None, cutoff: str) -> ScoredGroup | None:
    """One group: every response of the unit's subtree (of every unit without one)."""
    groups = _score(start, end, (), unit, cutoff)
    return groups[0] if groups else None


# --- small helpers ------------------------------------------------------------------------


def _index(score: ScoredGroup | None, key: str) -> float | None:
    """SIPAS (``"sipas"``) or a factor's index."""
    found = score.estimate(key) if score else None
    return found.index if found else None


def _ci(value: Estimate | None) -> tuple[float | None, float | None]:
    if not value:
        return (None, None)
    return (value.ci_low, value.ci_high)


def _flag(score: ScoredGroup | None) -> str:
    return FLAG_LABELS[score.flag] if score else FLAG_LABELS["insufficient_data"]


def _meets(score: ScoredGroup) -> bool:
    return score.answering >= MIN_N and score.flag == "meets"


def item_text(code: str, place: str) -> str:
    for q in forms.load_all().values():
        if code in q.item_codes:
            return q.item(code).text.get("vi").replace("{place}", place)
    return code


def _item_order(code: str) -> tuple[int, str, int]:
    return (0 if code[1:] != "0" else 1, code[0], int(code[1:]) if code[1:].isdigit() else 0)


def _factor_of(code: str) -> str:
    return code[0] if code[0] in FACTORS else ""


# --- tables -------------------------------------------------------------------------------

SCORE_COLUMNS = (
    Column("n", "Số phiếu", "int", 1.0),
    Column("sipas", "SIPAS (%)", "pct", 0.9),
    Column("ktc", "KTC 95 %", "ci", 1.7),
    *(Column(f, f, "pct", 0.8) for f in FACTORS),
)


def _score_cells(score: ScoredGroup | None) -> tuple[Any, ...]:
    return (
        score.n if score else 0,
        _index(score, "sipas"),
        _ci(score.sipas) if score else (None, None),
        *(_index(score, f) for f in FACTORS),
    )


def _ranking_table(
    key: str,
    title: str,
    root: Unit | None,
    nodes: list[tree.Node],
    now: tuple[dict[str, ScoredGroup], dict[str, ScoredGroup]],
    before: tuple[dict[str, ScoredGroup], dict[str, ScoredGroup]],
    previous: str,
    note: str,
    apart: frozenset[str] = frozenset(),
) -> Table:
    """The report's unit pooled first (its whole subtree), then the units that serve
    citizens (:mod:`~survey_app.services.analytics.tree`), each once on its own responses:
    those with the minimum sample ranked by SIPAS, then the others by code.  ``now`` and
    ``before``: (pooled, own) scores by unit code."""
    (pooled, own), (pooled_before, own_before) = now, before
    first = [n for n in nodes if root is not None and n.code == root.code and n.code in pooled]
    ranks, rest = _ranked_nodes(root, nodes, own, apart)
    ranked = [n for _k, n in ranks]
    rows = []
    positions = {n.code: k for k, n in ranks}
    listed = [(n, True) for n in first] + [(n, False) for n in (*ranked, *rest)]
    for node, lead in listed:
        score = pooled[node.code] if lead else own[node.code]
        old = (pooled_before if lead else own_before).get(node.code)
        moved = change(old, score)
        position = None if lead else positions.get(node.code)
        name = f"{node.unit.name} (toàn bộ)" if lead else node.unit.name
        rows.append(
            (
                position,
                node.code,
                name,
                *_score_cells(score),
                score.target,
                _flag(score),
                _index(old, "sipas"),
                moved.difference if moved else None,
                ("có" if moved.significant else "không") if moved else None,
            )
        )
    columns = (
        Column("hang", "Hạng", "int", 0.9),
        Column("ma", "Mã", "text", 1.2),
        Column("don_vi", "Đơn vị", "text", 4.0),
        *SCORE_COLUMNS,
        Column("muc_tieu", "Mục tiêu (%)", "pct", 0.9),
        Column("danh_gia", "Đánh giá", "text", 1.6),
        Column("ky_truoc", f"SIPAS {previous} (%)", "pct", 1.0),
        Column("thay_doi", "Thay đổi (điểm %)", "pp", 1.0),
        Column("y_nghia", "Thay đổi có ý nghĩa", "text", 1.1),
    )
    return Table(key, title, columns, tuple(rows), note)


def _ranked_nodes(
    root: Unit | None,
    nodes: list[tree.Node],
    own: dict[str, ScoredGroup],
    apart: frozenset[str] = frozenset(),
) -> tuple[list[tuple[int, tree.Node]], list[tree.Node]]:
    """The serving units of a ranking: (rank, node) of those with the minimum sample, then
    the others with responses, by code.  A report on one desk without sub-units: its
    pooled first row is all there is (no second, equal row)."""
    candidates = [
        n for n in nodes if not (root is not None and n.code == root.code and not n.subtotal)
    ]
    # not representative by coverage (issue 14): listed with the rest, not ranked
    ranks = tree.ranked_units([n for n in candidates if n.code not in apart], own, MIN_N)
    placed = {n.code for _k, n in ranks}
    rest = sorted(
        (n for n in candidates if n.serving and n.code not in placed and n.code in own),
        key=lambda n: n.code,
    )
    return ranks, rest


def _tree_table(nodes: list[tree.Node], now: dict[str, ScoredGroup]) -> Table:
    """Every unit with responses as the tree it is (indented), each parent row the pooled
    subtotal of its subtree (all its responses added up, not an average)."""
    shown = [n for n in nodes if n.code in now]
    rows = []
    for node in shown:
        score = now[node.code]
        kind = "Tổng gộp" if node.subtotal else ("Phục vụ trực tiếp" if node.serving else "")
        rows.append(
            (
                node.depth + 1,
                node.code,
                node.unit.name,
                kind,
                *_score_cells(score),
                score.target,
                _flag(score),
            )
        )
    columns = (
        Column("cap", "Cấp", "int", 0.6),
        Column("ma", "Mã", "text", 1.2),
        Column("don_vi", "Đơn vị", "text", 4.6),
        Column("loai", "Dòng", "text", 1.1),
        *SCORE_COLUMNS,
        Column("muc_tieu", "Mục tiêu (%)", "pct", 0.9),
        Column("danh_gia", "Đánh giá", "text", 1.6),
    )
    return Table(
        "cay_don_vi",
        "Các đơn vị theo cây tổ chức",
        columns,
        tuple(rows),
        "Dòng “Tổng gộp”: đơn vị cấp trên, tính bằng cách gộp toàn bộ phiếu của các đơn vị "
        "trực thuộc (không lấy trung bình các chỉ số); không xếp hạng.",
        depths=tuple(n.depth for n in shown),
    )


def _groups_table(
    key: str,
    title: str,
    label: str,
    groups: Sequence[tuple[str, str, ScoredGroup, *tuple[str, ...]]],
    extra: tuple[Column, ...] = (),
) -> Table:
    """Rows of (code, name, score) for channels or procedures."""
    columns = (
        Column("ma", "Mã", "text", 1.2),
        Column("ten", label, "text", 4.0),
        *extra,
        *SCORE_COLUMNS,
        Column("muc_tieu", "Mục tiêu (%)", "pct", 0.9),
        Column("danh_gia", "Đánh giá", "text", 1.6),
    )
    rows = []
    for code, name, score, *more in groups:
        rows.append((code, name, *more, *_score_cells(score), score.target, _flag(score)))
    return Table(key, title, columns, tuple(rows))


def _level_table(
    key: str,
    title: str,
    values: Mapping[str, Estimate],
    place: str,
    value_title: str,
    names: dict[str, str] | None = None,
    ranked: bool = False,
) -> Table:
    """Items, expectations or integrity rates (each estimate's ``index``) with their text."""
    codes = sorted(values, key=_item_order)
    if ranked:
        codes.sort(key=lambda c: -(values[c].index or 0.0))
    rows = []
    for position, code in enumerate(codes, start=1):
        v = values[code]
        text = (names or {}).get(code) or item_text(code, place)
        head: tuple[Any, ...] = (position,) if ranked else ()
        rows.append(
            (*head, code, *(() if ranked else (_factor_of(code),)), text, v.n, v.index, _ci(v))
        )
    first = (Column("hang", "Hạng", "int", 0.6),) if ranked else ()
    factor = () if ranked else (Column("yeu_to", "Yếu tố", "text", 0.7),)
    columns = (
        *first,
        Column("ma", "Mã", "text", 0.7),
        *factor,
        Column("noi_dung", "Nội dung", "text", 7.0),
        Column("n", "Số trả lời", "int", 0.9),
        Column("chi_so", value_title, "pct", 1.0),
        Column("ktc", "KTC 95 %", "ci", 1.7),
    )
    return Table(key, title, columns, tuple(rows))


# --- comments and sources -----------------------------------------------------------------


def _factors(qid: str) -> dict[str, list[str]]:
    try:
        return {code: list(items) for code, items in forms.get(qid).factors().items()}
    except KeyError:
        return {}


def _lowest_factor(factors: dict[str, list[str]], answers: dict[str, int]) -> str:
    """The factor the respondent rated lowest (mean of its answered items; ties → the
    earlier factor); ``""`` when no factor was answered."""
    best: tuple[float, str] | None = None
    for code, items in factors.items():
        values = [answers[i] for i in items if answers.get(i)]
        if values:
            mean = sum(values) / len(values)
            if best is None or mean < best[0]:
                best = (mean, code)
    return best[1] if best else ""


def redact(text: str) -> str:
    """Hide phone and identity numbers and e-mail addresses a citizen may have written
    (:func:`survey_app.services.formatting.masked`, the one function for every page)."""
    return masked(text)


def _comments(
    start: date, end: date, ids: list[int] | None, names: dict[int, str]
) -> tuple[tuple[CommentGroup, ...], int]:
    """A sample of the period's comments per factor, newest first, and how many were read.

    Day by day from the last day back (``local_day = ?`` uses its index; within a day the
    highest ids first), stopping once each of the five factors has
    :data:`COMMENTS_PER_FACTOR` comments, once :data:`COMMENTS_READ` comments were read, or
    at the period's first day: a quarter of millions of responses costs a few small queries,
    not a scan of its answers."""
    r = Response
    grouped: dict[str, list[tuple[str, str, str]]] = {}
    factors_of: dict[str, dict[str, list[str]]] = {}
    read, day = 0, end

    def full() -> bool:
        return all(len(grouped.get(f, ())) >= COMMENTS_PER_FACTOR for f in FACTORS)

    while day >= start and read < COMMENTS_READ and not full():
        query = (
            select(r.unit_id, r.questionnaire_id, r.answers, r.comment)
            .where(r.local_day == day, r.comment.is_not(None), r.comment != "")
            .order_by(r.id.desc())
            .limit(COMMENTS_READ - read)
        )
        if ids is not None:
            query = query.where(r.unit_id.in_(ids))
        shown = day_text(day)
        for unit_id, qid, answers, comment in db.session.execute(query):
            if isinstance(answers, str):
                answers = json.loads(answers)
            if qid not in factors_of:
                factors_of[qid] = _factors(qid)
            factor = _lowest_factor(factors_of[qid], answers or {})
            grouped.setdefault(factor, []).append(
                (shown, names.get(unit_id, ""), redact(comment or ""))
            )
            read += 1
            if full():
                break
        day -= timedelta(days=1)
    out = []
    for factor in (*FACTORS, ""):
        found = grouped.get(factor)
        if found:
            title = f"{factor}. {FACTOR_NAMES[factor]}" if factor else "Không chấm yếu tố nào"
            out.append(CommentGroup(factor, title, tuple(found[:COMMENTS_PER_FACTOR]), len(found)))
    return tuple(out), read


def _sources(
    start: date, end: date, ids: list[int] | None
) -> tuple[tuple[tuple[str, int], ...], int]:
    """Responses per source (one GROUP BY over the period's rows) and the period's
    comments."""
    r = Response
    commented = func.sum(case((and_(r.comment.is_not(None), r.comment != ""), 1), else_=0))
    query = (
        select(r.source, func.count(), commented)
        .where(r.local_day >= start, r.local_day <= end)
        .group_by(r.source)
        .order_by(func.count().desc(), r.source)
    )
    if ids is not None:
        query = query.where(r.unit_id.in_(ids))
    found = [(source, int(n), int(c or 0)) for source, n, c in db.session.execute(query)]
    return tuple((source, n) for source, n, _c in found), sum(c for *_rest, c in found)


def source_name(source: str) -> str:
    return SOURCE_NAMES.get(source, f"Nhập từ hệ thống “{source}”")


# --- the report ---------------------------------------------------------------------------


def build_report(spec: ReportSpec, unit_ids: list[int] | None, progress: Progress | None) -> Report:
    spec.validate()
    token = _RESPONSES.set(spec.responses)  # every score of this build counts these
    try:
        return _build_report(spec, unit_ids, progress)
    finally:
        _RESPONSES.reset(token)


def _build_report(
    spec: ReportSpec, unit_ids: list[int] | None, progress: Progress | None
) -> Report:
    step = progress or _quiet
    step(0.0, N_("Đang chuẩn bị"))
    start, end = spec.dates()
    previous = spec.previous()
    p_start, p_end = previous.dates()
    root = _root(spec, unit_ids)
    all_units = list(db.session.scalars(select(Unit).order_by(Unit.code)))
    ids = subtree_ids([root.id]) if root else None
    wanted = set(ids) if ids is not None else None
    in_scope = [u for u in all_units if wanted is None or u.id in wanted]
    names = {u.id: u.name for u in all_units}
    cutoff = spec.cutoff

    step(0.05, N_("Đang tính chỉ số các đơn vị"))
    by_unit = ("unit",)
    now = {g.key["unit"]: g for g in _score(start, end, by_unit, root, cutoff)}
    before = {g.key["unit"]: g for g in _score(p_start, p_end, by_unit, root, cutoff)}
    whole = now.get(root.code) if root else _whole(start, end, None, cutoff)
    whole_before = before.get(root.code) if root else _whole(p_start, p_end, None, cutoff)

    step(0.3, N_("Đang tính nhóm đất đai, xây dựng, đầu tư"))
    by_group = ("unit", "target_group")
    land_now = {
        g.key["unit"]: g
        for g in _score(start, end, by_group, root, cutoff)
        if g.key["target_group"] == LAND
    }
    land_before = {
        g.key["unit"]: g
        for g in _score(p_start, p_end, by_group, root, cutoff)
        if g.key["target_group"] == LAND
    }
    land_whole = (
        land_now.get(root.code)
        if root
        else next(
            (
                g
                for g in _score(start, end, ("target_group",), None, cutoff)
                if g.key["target_group"] == LAND
            ),
            None,
        )
    )

    # The units that serve citizens, each once on its own responses (analytics.tree).
    def own_of(first: date, last: date, land: bool = False) -> dict[str, ScoredGroup]:
        if not land:
            return tree.own_scores(_score(first, last, by_unit, root, cutoff, "own"))
        return tree.own_scores(
            g
            for g in _score(first, last, by_group, root, cutoff, "own")
            if g.key["target_group"] == LAND
        )

    own_now, own_before = own_of(start, end), own_of(p_start, p_end)
    land_own_now = own_of(start, end, land=True)
    land_own_before = own_of(p_start, p_end, land=True)
    nodes = tree.with_own_responses(tree.tree_order(in_scope), own_now)
    apart = coverage.unrepresentative_units(start, end, root, cutoff, MIN_N)

    step(0.45, N_("Đang tính xu hướng các kỳ trước"))
    trend = _trend(spec, root, whole, whole_before)

    step(0.6, N_("Đang tính theo hình thức và thủ tục"))
    channels, procedures = score_stored_each(
        Slice(
            start=start,
            end=end,
            cutoff=Cutoff(cutoff),
            unit_code=root.code if root else None,
            min_n=MIN_N,
            where=RESPONSES[_RESPONSES.get()],
        ),
        (("channel",), ("procedure",)),
    )

    step(0.7, N_("Đang đọc ý kiến và nguồn dữ liệu"))
    # The whole tree needs no unit filter (a list of every unit helps no index).
    rows_of = None if ids is None or len(set(ids)) == len(all_units) else ids
    comments, comments_read = _comments(start, end, rows_of, names)
    sources, comments_total = _sources(start, end, rows_of)

    step(0.8, N_("Đang lập bảng"))
    place = root.place_name if root and root.place_name else DEFAULT_PLACE
    previous_name = short_label(previous.period)
    tables = [_summary_table(whole, land_whole, nodes, own_now, land_own_now)]
    ranking_table = _ranking_table(
        "xep_hang",
        "Xếp hạng các đơn vị theo chỉ số SIPAS",
        root,
        nodes,
        (now, own_now),
        (before, own_before),
        previous_name,
        f"Dòng đầu: toàn bộ đơn vị báo cáo. Xếp hạng các đơn vị trực tiếp phục vụ người dân "
        f"(đơn vị có quầy) có ít nhất {MIN_N} phiếu, mỗi đơn vị một lần, theo phiếu của chính "
        "đơn vị; đơn vị cấp trên là tổng gộp, xem bảng “Các đơn vị theo cây tổ chức”. Đơn vị "
        "chưa đại diện theo độ bao phủ hồ sơ được liệt kê, không xếp hạng.",
        apart,
    )
    tables.append(ranking_table)
    tables.append(
        _ranking_table(
            "dat_dai",
            "Thủ tục lĩnh vực đất đai, xây dựng, đầu tư (mục tiêu 85 %)",
            root,
            nodes,
            (land_now, land_own_now),
            (land_before, land_own_before),
            previous_name,
            "Chỉ gồm phiếu về thủ tục lĩnh vực đất đai, xây dựng, đầu tư; xếp hạng các đơn vị "
            "có quầy, mỗi đơn vị một lần.",
        )
    )
    tables.append(_tree_table(nodes, now))
    tables.append(coverage.coverage_table(start, end, root, cutoff, nodes, now, whole, MIN_N))
    tables.append(
        Table(
            "xu_huong",
            "Xu hướng qua các kỳ",
            (
                Column("ky", "Kỳ", "text", 2.0),
                Column("n", "Số phiếu", "int", 1.0),
                Column("sipas", "SIPAS (%)", "pct", 1.0),
                *(Column(f, f, "pct", 0.8) for f in FACTORS),
            ),
            tuple((p.period, p.n, p.sipas, *(v for _f, v in p.factors)) for p in trend),
        )
    )
    tables.append(
        _level_table(
            "chi_so_thanh_phan",
            "Chỉ số thành phần (từng câu hỏi)",
            whole.items if whole else {},
            place,
            "Hài lòng (%)",
        )
    )
    expectation = whole.expectation if whole else {}
    tables.append(
        _level_table(
            "mong_doi",
            "Xếp hạng mong đợi của người dân",
            expectation,
            place,
            "Mong muốn (%)",
            ranked=True,
        )
    )
    if spec.integrity:
        tables.append(
            _level_table(
                "liem_chinh",
                "Tỉ lệ phản ánh về liêm chính",
                whole.integrity if whole else {},
                place,
                "Tỉ lệ (%)",
                names=INTEGRITY_NAMES,
            )
        )
    tables.append(
        _groups_table(
            "hinh_thuc",
            "Theo hình thức nộp hồ sơ",
            "Hình thức",
            [
                (g.key["channel"], CHANNEL_NAMES.get(g.key["channel"], g.key["channel"]), g)
                for g in channels
            ],
        )
    )
    tables.append(_procedure_table(procedures))
    dossier_table = indicators_table(start, end, wanted)  # 766 group 5, when there are dossiers
    if len(dossier_table.rows) > 1:
        tables.append(dossier_table)
    tables.append(_comments_table(comments, comments_read, comments_total))
    total = sum(n for _s, n in sources)
    tables.append(
        Table(
            "nguon",
            "Nguồn dữ liệu",
            (
                Column("ma", "Mã nguồn", "text", 1.0),
                Column("nguon", "Nguồn", "text", 4.0),
                Column("so_phieu", "Số phiếu", "int", 1.0),
                Column("ti_le", "Tỉ lệ (%)", "pct", 1.0),
            ),
            tuple((s, source_name(s), n, 100.0 * n / total if total else None) for s, n in sources),
        )
    )

    step(0.9, N_("Đang hoàn tất"))
    ranking, ranking_note = _ranking_bars(root, nodes, own_now, apart)
    unit_name = root.name if root else "Tất cả đơn vị"
    report = Report(
        spec=spec,
        title=f"Báo cáo kết quả đo lường sự hài lòng (SIPAS) — {unit_name}",
        period_label=spec.label(),
        previous_label=previous.label(),
        start=start,
        end=end,
        unit_code=root.code if root else None,
        unit_name=unit_name,
        generated_at=datetime.now(UTC),
        summary=_summary(whole, land_whole, nodes, own_now, land_own_now),
        tables=tuple(tables),
        ranking=ranking,
        ranking_note=ranking_note,
        trend=trend,
        profile=_profile(root, now, unit_ids, start, end, cutoff),
        comments=comments,
        methods=_with_split(
            _methods(previous.label(), total, whole.n if whole else 0),
            spec,
            whole,
            exclusions.excluded_count(ids, start, end),
        ),
        sources=sources,
    )
    step(1.0, N_("Xong"))
    return report


def _summary(
    whole: ScoredGroup | None,
    land: ScoredGroup | None,
    nodes: list[tree.Node],
    own: dict[str, ScoredGroup],
    land_own: dict[str, ScoredGroup],
) -> Summary:
    """The summary; unit counts are of the units that serve citizens, each once
    (:func:`~survey_app.services.analytics.tree.meeting`)."""
    present, assessed, meeting = tree.meeting(nodes, own, MIN_N)
    _present, land_assessed, land_meeting = tree.meeting(nodes, land_own, MIN_N)
    ci = _ci(whole.sipas) if whole else (None, None)
    land_ci = _ci(land.sipas) if land else (None, None)
    return Summary(
        respondents=whole.n if whole else 0,
        sipas=_index(whole, "sipas"),
        ci_low=ci[0],
        ci_high=ci[1],
        target=whole.target if whole else None,
        flag=_flag(whole),
        units_ranked=present,
        units_assessed=assessed,
        units_meeting=meeting,
        land_respondents=land.n if land else 0,
        land_sipas=_index(land, "sipas"),
        land_ci_low=land_ci[0],
        land_ci_high=land_ci[1],
        land_units_assessed=land_assessed,
        land_units_meeting=land_meeting,
    )


def _summary_table(
    whole: ScoredGroup | None,
    land: ScoredGroup | None,
    nodes: list[tree.Node],
    own: dict[str, ScoredGroup],
    land_own: dict[str, ScoredGroup],
) -> Table:
    rows = []
    for name, score, per_unit, target in (
        ("Tất cả thủ tục", whole, own, None),
        ("Thủ tục đất đai, xây dựng, đầu tư", land, land_own, 85.0),
    ):
        _present, assessed, meeting = tree.meeting(nodes, per_unit, MIN_N)
        rows.append(
            (
                name,
                score.n if score else 0,
                _index(score, "sipas"),
                _ci(score.sipas) if score else (None, None),
                score.target if score else target,
                _flag(score),
                assessed,
                meeting,
            )
        )
    columns = (
        Column("nhom", "Nhóm thủ tục", "text", 3.0),
        Column("n", "Số phiếu", "int", 1.0),
        Column("sipas", "SIPAS (%)", "pct", 1.0),
        Column("ktc", "KTC 95 %", "ci", 1.7),
        Column("muc_tieu", "Mục tiêu (%)", "pct", 1.0),
        Column("danh_gia", "Đánh giá", "text", 1.8),
        Column("don_vi_danh_gia", f"Số đơn vị có ≥ {MIN_N} phiếu", "int", 1.2),
        Column("don_vi_dat", "Số đơn vị đạt mục tiêu", "int", 1.2),
    )
    return Table("tom_tat", "Tóm tắt", columns, tuple(rows))


def _procedure_table(groups: Sequence[ScoredGroup]) -> Table:
    codes = [g.key["procedure"] for g in groups if g.key["procedure"]]
    known = (
        {p.code: p for p in db.session.scalars(select(Procedure).where(Procedure.code.in_(codes)))}
        if codes
        else {}
    )
    rows = []
    for g in sorted(groups, key=lambda g: (-g.n, g.key["procedure"])):
        code = g.key["procedure"]
        proc = known.get(code)
        name = proc.name if proc else (code or "Không ghi thủ tục")
        field = proc.field if proc else ""
        group = GROUP_NAMES.get(proc.target_group, "") if proc else ""
        rows.append((code, name, g, field, group))
    return _groups_table(
        "thu_tuc",
        "Theo thủ tục hành chính",
        "Thủ tục",
        rows,
        extra=(Column("linh_vuc", "Lĩnh vực", "text", 1.6), Column("nhom", "Nhóm", "text", 1.4)),
    )


def _comments_table(groups: tuple[CommentGroup, ...], read: int, total: int) -> Table:
    rows = tuple((g.title, day, unit, text) for g in groups for day, unit, text in g.comments)
    if read < total:
        scope = f"xếp từ {_dots(read)} ý kiến mới nhất trong tổng số {_dots(total)} ý kiến của kỳ"
    else:
        scope = f"xếp từ toàn bộ {_dots(total)} ý kiến của kỳ"
    return Table(
        "y_kien",
        "Một số ý kiến của người dân, theo yếu tố",
        (
            Column("yeu_to", "Yếu tố chấm thấp nhất", "text", 2.0),
            Column("ngay", "Ngày", "text", 1.1),
            Column("don_vi", "Đơn vị", "text", 2.2),
            Column("y_kien", "Ý kiến", "text", 6.0),
        ),
        rows,
        f"Mỗi yếu tố tối đa {COMMENTS_PER_FACTOR} ý kiến mới nhất, {scope}; thông tin cá "
        "nhân đã che.",
    )


def _dots(n: int) -> str:
    return number(n, 0)


def _trend(
    spec: ReportSpec, root: Unit | None, now: ScoredGroup | None, before: ScoredGroup | None
) -> tuple[TrendPoint, ...]:
    """This period and the ones before it (of the same kind), oldest first."""
    periods = [spec.period]
    for _ in range(TREND_PERIODS - 1):
        periods.append(previous_period(periods[-1]))
    points = []
    for k, period in enumerate(periods):
        if k == 0:
            score = now
        elif k == 1:
            score = before
        else:
            start, end = period_dates(period, spec.cutoff)
            score = _whole(start, end, root, spec.cutoff)
        points.append(
            TrendPoint(
                short_label(period),
                score.n if score else 0,
                _index(score, "sipas"),
                tuple((f, _index(score, f)) for f in FACTORS),
            )
        )
    return tuple(reversed(points))


def _ranking_bars(
    root: Unit | None,
    nodes: list[tree.Node],
    own: dict[str, ScoredGroup],
    apart: frozenset[str] = frozenset(),
) -> tuple[tuple[UnitBar, ...], str]:
    """The ranking table's units (:func:`_ranked_nodes`, without its pooled first row) as
    bars, highest SIPAS first: chart and table show the same units; the lowest
    :data:`CHART_UNITS` when there are more (the note says so)."""
    ranks, rest = _ranked_nodes(root, nodes, own, apart)
    level = [n for _k, n in ranks] + rest
    level.sort(key=lambda n: (own[n.code].sipas.index or 0.0, n.code))
    note = ""
    if len(level) > CHART_UNITS:
        note = f"{CHART_UNITS} đơn vị có SIPAS thấp nhất trong {len(level)} đơn vị"
        level = level[:CHART_UNITS]
    bars = tuple(
        UnitBar(
            n.code,
            n.unit.name,
            own[n.code].n,
            _index(own[n.code], "sipas"),
            *_ci(own[n.code].sipas),
            own[n.code].target,
        )
        for n in sorted(level, key=lambda n: (-(own[n.code].sipas.index or 0.0), n.code))
    )
    return bars, note


def _profile(
    root: Unit | None,
    now: dict[str, ScoredGroup],
    unit_ids: list[int] | None,
    start: date,
    end: date,
    cutoff: str,
) -> Profile | None:
    """The report's unit against its parent when the caller may see the parent; otherwise
    the weakest unit just below the report's unit against it."""
    keys = (*FACTORS, "sipas")

    def values(score: ScoredGroup | None) -> tuple[tuple[str, float | None], ...]:
        return tuple(("SIPAS" if k == "sipas" else k, _index(score, k)) for k in keys)

    if root is None:
        return None
    parent = root.parent
    if parent is not None and (unit_ids is None or parent.id in set(unit_ids)):
        parent_score = _whole(start, end, parent, cutoff)
        if now.get(root.code) and parent_score:
            return Profile(root.name, parent.name, values(now[root.code]), values(parent_score))
    children = [u for u in root.children if u.code in now and now[u.code].answering >= MIN_N]
    if not children or root.code not in now:
        return None
    weakest = min(children, key=lambda u: (now[u.code].sipas.index or 0.0, u.code))
    return Profile(weakest.name, root.name, values(now[weakest.code]), values(now[root.code]))


def _with_split(
    methods: tuple[str, ...], spec: ReportSpec, whole: ScoredGroup | None, excluded: int = 0
) -> tuple[str, ...]:
    """The methods note with the verified/open line and the responses an inspector excluded
    (issue 14) before its last line (the sources)."""
    return (*methods[:-1], _split(spec, whole), _excluded(excluded), *methods[-1:])


def _excluded(n: int) -> str:
    return (
        f"Phiếu bị loại: {_dots(n)} phiếu mở do thanh tra loại khỏi mọi chỉ số (dấu hiệu "
        "bất thường theo quầy và ngày, có ghi lý do, có thể khôi phục); các số liệu trong "
        "báo cáo không tính các phiếu này."
    )


def _split(spec: ReportSpec, whole: ScoredGroup | None) -> str:
    """Which responses the report counts, and its verified and open respondents (issue 13)."""
    counted = {
        "all": "mọi phiếu",
        "verified": "chỉ phiếu xác thực (gửi qua lời mời của hồ sơ)",
        "open": "chỉ phiếu mở (mã QR quầy, kiosk, API, tệp)",
    }[spec.responses]
    verified, opened = (whole.n_verified, whole.n_open) if whole else (0, 0)
    return (
        f"Phiếu được tính: {counted}. Trong kỳ: {_dots(verified)} người trả lời qua lời mời "
        f"của hồ sơ (xác thực), {_dots(opened)} người trả lời mở."
    )


# What the figures are, said first in every format's methods note (issue 14): the office's
# own measurement at the counter, how its responses were collected, how far they cover.
SELF_MEASUREMENT = (
    "Đây là kết quả tự đo lường của cơ quan: ý kiến của người dân, tổ chức được thu ngay tại "
    "nơi giải quyết thủ tục (phản hồi tại quầy). Đây không phải Chỉ số SIPAS quốc gia do Bộ "
    "Nội vụ đo lường hằng năm bằng điều tra xã hội học theo mẫu hộ gia đình, và không thay "
    "thế chỉ số đó."
)
COLLECTION = (
    "Cách thu phiếu: người dân quét mã QR tại quầy bằng điện thoại, chấm trên máy tính bảng "
    "(ki-ốt) đặt tại quầy, trả lời qua lời mời gửi theo hồ sơ đã trả kết quả (tin nhắn hoặc "
    "phiếu in có mã riêng), hoặc phiếu được nhập từ phần mềm một cửa (API) và từ phiếu giấy. "
    "Phiếu qua lời mời là phiếu xác thực: gắn với một hồ sơ, mỗi hồ sơ một phiếu. Các phiếu "
    "khác là phiếu mở: không biết người trả lời có phải người được phục vụ hay không, và một "
    "người có thể gửi nhiều lần."
)
COVERAGE = (
    "Độ bao phủ: số người trả lời so với số hồ sơ đã trả kết quả (tỉ lệ phản hồi) cho biết "
    "kết quả đại diện đến đâu; nhóm có tỉ lệ phản hồi quá thấp hoặc chưa đủ cỡ mẫu tối thiểu "
    "thì chưa đại diện, chỉ để tham khảo. Mọi chỉ số trong báo cáo kèm khoảng tin cậy 95 % "
    "(KTC): ít phiếu thì khoảng rộng, hai đơn vị có KTC chồng nhau chưa chắc khác nhau."
)


def _methods(previous_label: str, stored: int, respondents: int) -> tuple[str, ...]:
    return (
        SELF_MEASUREMENT,
        COLLECTION,
        COVERAGE,
        "Chỉ số thành phần (từng câu hỏi) = 100 × số câu trả lời “Hài lòng” hoặc “Rất hài "
        "lòng” ÷ số câu trả lời từ 1 đến 5; câu “Không có ý kiến” không tính vào mẫu số "
        "(Quyết định 1001/QĐ-BNV).",
        "Chỉ số yếu tố (A–E) = trung bình các chỉ số thành phần có câu trả lời của yếu tố; "
        "chỉ số SIPAS = trung bình các chỉ số yếu tố của phần dịch vụ. Nhiều phiên bản phiếu "
        "trong một nhóm: mỗi yếu tố tính theo từng phiên bản, rồi lấy trung bình có trọng số "
        "theo số người trả lời yếu tố đó.",
        "Đơn vị cấp trên được tính bằng cách gộp toàn bộ phiếu của các đơn vị trực thuộc, "
        "không lấy trung bình của các chỉ số.",
        "Khoảng tin cậy 95 % (KTC): khoảng Wilson cho từng câu hỏi và các tỉ lệ; cho yếu tố "
        "và SIPAS, khoảng tin cậy tính theo người trả lời (mỗi người trả lời nhiều câu), độ "
        "phủ 95 % đã được kiểm tra bằng mô phỏng.",
        f"Mục tiêu: 90 %; 85 % đối với thủ tục lĩnh vực đất đai, xây dựng, đầu tư. Cỡ mẫu tối "
        f"thiểu {MIN_N} người trả lời: ít hơn thì ghi “chưa đủ dữ liệu” và không xếp hạng; "
        "“dưới mục tiêu (rõ rệt)” khi cận trên của KTC thấp hơn mục tiêu.",
        f"Thay đổi so với kỳ trước ({previous_label}): hiệu hai chỉ số SIPAS, KTC 95 % theo "
        "phương pháp MOVER (Newcombe); “có ý nghĩa thống kê” khi KTC của hiệu không chứa 0.",
        "Mong đợi: tỉ lệ người trả lời “Mong muốn” hoặc “Rất mong muốn”. Liêm chính: tỉ lệ "
        "câu trả lời cho biết có phiền hà, sách nhiễu hoặc phải đưa tiền ngoài quy định.",
        f"Ý kiến được xếp vào yếu tố mà người viết chấm thấp nhất (trung bình các câu của yếu "
        f"tố; bằng nhau thì lấy yếu tố đứng trước); mỗi yếu tố in tối đa "
        f"{COMMENTS_PER_FACTOR} ý kiến mới nhất (đọc từ ngày cuối kỳ trở về trước, dừng khi "
        f"mỗi yếu tố đã đủ hoặc đã đọc {_dots(COMMENTS_READ)} ý kiến); số điện thoại, số giấy "
        "tờ và thư điện tử được che.",
        f"Nguồn dữ liệu: {_dots(respondents)} người trả lời trong kỳ; {_dots(stored)} phiếu "
        "lưu từng phiếu, theo nguồn ở bảng “Nguồn dữ liệu”.",
    )
