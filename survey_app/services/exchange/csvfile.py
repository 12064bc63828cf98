"""The response file of METHOD §7: export (and, later, import) in one shared column layout."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO

from sqlalchemy import Text, select, type_coerce

import forms
from survey_app.extensions import db
from survey_app.models import Counter, Procedure, Response, Unit
from survey_app.services.clock import VN_TZ
from survey_app.services.errors import InputError
from survey_app.services.formatting import spreadsheet_text, spreadsheet_value

META_COLUMNS = (
    "response_id",
    "submitted_at",
    "unit_code",
    "counter_code",
    "procedure_code",
    "target_group",
    "channel",
    "questionnaire",
    "source",
)


VERIFIED = "verified"  # the last column (issue 13): "1" for a verified response, else empty


def columns() -> tuple[str, ...]:
    """Header of the response file: metadata, one column per item code, ``comment``, then
    ``verified`` — ``1`` for a response made through a dossier's invitation, empty for an
    open one.  The dossier's code is never written.  Readers accept files with or without
    ``verified`` and ignore it: an imported row has no dossier, so it is open."""
    return (*META_COLUMNS, *forms.all_item_codes(), "comment", VERIFIED)


def _rows(
    start: date | None, end: date | None, unit_ids: list[int] | None
) -> Iterator[list[object]]:
    codes = forms.all_item_codes()
    r = Response.__table__.c
    # Raw column values (no per-row type processing): this loop is what an export costs.
    query = (
        select(
            r.id,
            type_coerce(r.submitted_at, Text),
            Unit.code,
            Counter.code,
            Procedure.code,
            r.target_group,
            r.channel,
            r.questionnaire_id,
            r.source,
            type_coerce(r.answers, Text),
            r.comment,
            r.dossier_id.is_not(None),
        )
        .join(Unit, Unit.id == r.unit_id)
        .outerjoin(Counter, Counter.id == r.counter_id)
        .outerjoin(Procedure, Procedure.id == r.procedure_id)
        .order_by(r.id)
    )
    if start is not None:
        query = query.where(r.local_day >= start)
    if end is not None:
        query = query.where(r.local_day <= end)
    if unit_ids is not None:
        query = query.where(r.unit_id.in_(unit_ids))
    loads = json.loads
    safe = spreadsheet_text  # codes and comments are never formulas in a spreadsheet
    for (
        rid,
        at,
        unit,
        counter,
        proc,
        group,
        channel,
        qid,
        source,
        answers,
        comment,
        verified,
    ) in db.session.execute(query.execution_options(yield_per=5000)):
        if isinstance(answers, str):
            answers = loads(answers)
        yield [
            rid,
            _utc_stamp(at),
            safe(unit),
            safe(counter or ""),
            safe(proc or ""),
            group,
            channel or "",
            qid,
            source,
            *[answers.get(c, "") for c in codes],
            safe(comment or ""),
            "1" if verified else "",
        ]


def _utc_stamp(value: str | datetime) -> str:
    """ISO 8601 UTC with ``Z`` from a stored timestamp (SQLite: naive UTC text)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{value[:10]}T{value[11:19]}Z"


def write_csv(
    out: IO[str],
    start: date | None = None,
    end: date | None = None,
    unit_ids: list[int] | None = None,
) -> int:
    """Write the response file to ``out``; returns the number of responses written."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns())
    count = 0
    for row in _rows(start, end, unit_ids):
        writer.writerow(row)
        count += 1
    return count


def export_file(
    path: Path,
    start: date | None = None,
    end: date | None = None,
    unit_ids: list[int] | None = None,
) -> int:
    """Export to a UTF-8 CSV file with a BOM (so Excel shows Vietnamese correctly)."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        return write_csv(fh, start, end, unit_ids)


# --- reading the response file (sipas score --input, and later sipas import) ----------------

TARGET_GROUPS = ("chung", "dat_dai_xay_dung_dau_tu")


# Said in the terms of the import template (template.py, META_HELP["submitted_at"]).
BAD_MOMENT = (
    "ngày giờ không đọc được: viết năm-tháng-ngày giờ:phút theo giờ Việt Nam, ví dụ "
    "2026-03-01 08:30, hoặc chỉ ngày 2026-03-01"
)


@dataclass(frozen=True)
class FileProblem:
    """One problem in a response file, located by line (1 = header) and column name."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"dòng {self.line}" + (f", cột {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class ResponseFileError(InputError):
    """The file cannot be used; ``problems`` lists every bad cell found."""

    def __init__(self, problems: list[FileProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems[:50]))
        self.problems = problems


@dataclass(frozen=True)
class FileResponse:
    line: int
    response_id: str
    submitted_at: datetime
    local_day: date
    unit_code: str
    counter_code: str
    procedure_code: str
    target_group: str
    channel: str
    questionnaire: str
    source: str
    answers: dict[str, int]
    comment: str


def read_response_file(path: Path, max_problems: int = 200) -> list[FileResponse]:
    """Read and check a METHOD §7 response file; raise :class:`ResponseFileError` listing
    every problem (up to ``max_problems``) with its line and column.
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ResponseFileError(
            [FileProblem(0, "", f"tệp không phải UTF-8 ({exc.reason})")]
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))  # quoted cells may hold newlines
    header = next(reader, None)
    if header is None:
        raise ResponseFileError([FileProblem(1, "", "tệp rỗng, thiếu dòng tiêu đề")])
    header = [h.strip() for h in header]
    missing = [c for c in META_COLUMNS if c not in header]
    unknown = [c for c in header if c not in columns()]
    problems = [FileProblem(1, c, "thiếu cột bắt buộc") for c in missing]
    problems += [FileProblem(1, c, "cột không có trong định dạng tệp") for c in unknown]
    if problems:
        raise ResponseFileError(problems)
    item_cols = [c for c in header if c in forms.all_item_codes()]
    questionnaires = forms.load_all()
    rows: list[FileResponse] = []
    for cells in reader:
        line = reader.line_num  # the physical line the record ends on
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            problems.append(FileProblem(line, "", f"có {len(cells)} ô, cần {len(header)}"))
            continue
        row = dict(zip(header, (spreadsheet_value(c.strip()) for c in cells), strict=True))
        parsed = _parse_row(line, row, item_cols, questionnaires, problems)
        if parsed is not None:
            rows.append(parsed)
        if len(problems) >= max_problems:
            break
    if problems:
        raise ResponseFileError(problems)
    return rows


def _parse_row(
    line: int,
    row: dict[str, str],
    item_cols: list[str],
    questionnaires: dict[str, forms.Questionnaire],
    problems: list[FileProblem],
) -> FileResponse | None:
    before = len(problems)

    def bad(column: str, message: str) -> None:
        problems.append(FileProblem(line, column, message))

    moment = _parse_time(row["submitted_at"])
    if moment is None:
        bad("submitted_at", BAD_MOMENT)
    if not row["unit_code"]:
        bad("unit_code", "thiếu mã đơn vị")
    if row["target_group"] not in TARGET_GROUPS:
        bad("target_group", f"phải là một trong {', '.join(TARGET_GROUPS)}")
    if row["channel"] and row["channel"] not in forms.CHANNELS:
        bad("channel", f"phải để trống hoặc là một trong {', '.join(forms.CHANNELS)}")
    q = questionnaires.get(row["questionnaire"])
    if q is None:
        bad("questionnaire", f"phiên bản phiếu không có: {row['questionnaire']!r}")
    answers: dict[str, int] = {}
    for code in item_cols:
        raw = row[code]
        if not raw:
            continue
        if q is not None and code not in q.item_codes:
            bad(code, f"phiếu {q.id} không có câu {code}; ô phải để trống")
            continue
        value = int(raw) if raw.isascii() and raw.isdigit() else None
        allowed = q.item(code).scale.values if q is not None else frozenset()
        if value is None or (q is not None and value not in allowed):
            bad(
                code,
                f"giá trị {raw!r} không hợp lệ"
                + (f" (chọn {min(allowed)}–{max(allowed)} hoặc để trống)" if allowed else ""),
            )
            continue
        answers[code] = value
    if len(problems) > before or moment is None:
        return None
    if not answers:
        bad("", "không có câu trả lời nào")
        return None
    return FileResponse(
        line=line,
        response_id=row["response_id"],
        submitted_at=moment,
        local_day=moment.astimezone(VN_TZ).date(),
        unit_code=row["unit_code"],
        counter_code=row["counter_code"],
        procedure_code=row["procedure_code"],
        target_group=row["target_group"],
        channel=row["channel"],
        questionnaire=row["questionnaire"],
        source=row["source"],
        answers=answers,
        comment=row.get("comment", ""),
    )


def _parse_time(raw: str) -> datetime | None:
    """ISO 8601; ``Z`` or an offset; no offset means Vietnam local time (METHOD §7)."""
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return moment.replace(tzinfo=VN_TZ) if moment.tzinfo is None else moment
