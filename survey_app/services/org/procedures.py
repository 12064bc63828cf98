"""Procedures (thủ tục hành chính) for administrators: list, add, edit, link to units, and
import a list from CSV.

Why this module is long: two jobs on one model that share the checks of a procedure's fields
(:func:`_check_values`) and the audit trail — the CSV import (parse, check every row, apply
all or nothing: about half the module) and the admin pages' list, add, edit and unit links.

The CSV import is all-or-nothing: :func:`parse_csv` checks every row and raises
:class:`ImportFailed` with every bad row (line, column, reason in Vietnamese); only a clean
file reaches :func:`import_rows`, which adds new codes, updates known ones and links units in
one transaction. Importing the same file again changes nothing (rows are matched by code).

Every change appends audit entries (``services.audit``) in its transaction, then clears this
process's token cache (a unit's procedures are part of its counters' forms).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, insert, or_, select

from survey_app.extensions import db
from survey_app.models import Procedure, Unit, User, unit_procedures
from survey_app.models.org import TARGET_GROUPS
from survey_app.services import org
from survey_app.services.org import audit
from survey_app.services.text import clean as clean_text

CODE_RE = re.compile(r"[A-Za-z0-9._-]{1,40}")
NAME_MAX, FIELD_MAX = 500, 200
IMPORT_MAX_BYTES = 4 * 1024 * 1024
IMPORT_MAX_ROWS = 20_000
LIST_LIMIT = 200  # procedures shown per search
UNIT_SPLIT = re.compile(r"[\s,;|]+")

# Column name in the file (normalised: lower case, spaces → "_") → field.
COLUMNS = {
    "code": "code",
    "ma": "code",
    "mã": "code",
    "ma_thu_tuc": "code",
    "mã_thủ_tục": "code",
    "name": "name",
    "ten": "name",
    "tên": "name",
    "ten_thu_tuc": "name",
    "tên_thủ_tục": "name",
    "field": "field",
    "linh_vuc": "field",
    "lĩnh_vực": "field",
    "target_group": "target_group",
    "nhom_doi_tuong": "target_group",
    "nhóm_đối_tượng": "target_group",
    "units": "units",
    "unit_codes": "units",
    "don_vi": "units",
    "đơn_vị": "units",
}
REQUIRED = ("code", "name", "field", "target_group")
TEMPLATE_ROWS = (
    ("code", "name", "field", "target_group", "units"),
    ("2.000889", "Đăng ký khai sinh", "Hộ tịch", "chung", ""),
    (
        "1.004227",
        "Đăng ký đất đai, tài sản gắn liền với đất lần đầu",
        "Đất đai",
        "dat_dai_xay_dung_dau_tu",
        "",
    ),
)


class ProcedureError(ValueError):
    """A change that cannot be made; the message is shown to the administrator."""


@dataclass(frozen=True)
class RowError:
    line: int  # physical line of the file, from 1 (the header)
    column: str  # the column's name as written in the file, "" for the whole line
    reason: str


class ImportFailed(ValueError):
    """The file has bad rows; nothing was changed."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} bad rows")
        self.errors = errors


@dataclass(frozen=True)
class Row:
    line: int
    code: str
    name: str
    field: str
    target_group: str
    units: tuple[str, ...]


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    unchanged: int
    links: int  # unit–procedure links added


def template_csv() -> str:
    """The downloadable template: header and two example rows (UTF-8 with BOM for Excel)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(TEMPLATE_ROWS)
    return "\ufeff" + out.getvalue()


def _words(value: str) -> str:
    """A name or field under the input rule (services/text.py), white space collapsed."""
    return " ".join(clean_text(value).split())


def _check_values(code: str, name: str, field: str, target_group: str) -> list[tuple[str, str]]:
    """(field, reason) for every bad value."""
    bad = []
    if not CODE_RE.fullmatch(code):
        bad.append(
            (
                "code",
                _(
                    "Mã thủ tục gồm 1–40 ký tự: chữ không dấu, số, dấu chấm, gạch "
                    "ngang hoặc gạch dưới."
                ),
            )
        )
    if not name:
        bad.append(("name", _("Thiếu tên thủ tục.")))
    elif len(name) > NAME_MAX:
        bad.append(("name", _("Tên thủ tục dài quá %(n)d ký tự.", n=NAME_MAX)))
    if len(field) > FIELD_MAX:
        bad.append(("field", _("Lĩnh vực dài quá %(n)d ký tự.", n=FIELD_MAX)))
    if target_group not in TARGET_GROUPS:
        bad.append(
            (
                "target_group",
                _("Nhóm đối tượng phải là một trong: %(groups)s.", groups=", ".join(TARGET_GROUPS)),
            )
        )
    return bad


def _unit_codes(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c for c in UNIT_SPLIT.split(text.strip()) if c))


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFailed(
            [
                RowError(
                    line, "", _("Tệp không phải UTF-8. Hãy lưu lại với bảng mã UTF-8 (CSV UTF-8).")
                )
            ]
        ) from None


def _delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _header(cells: list[str]) -> tuple[dict[str, int], list[RowError]]:
    errors: list[RowError] = []
    where: dict[str, int] = {}
    for i, cell in enumerate(cells):
        key = "_".join(cell.strip().lower().replace("-", " ").split())
        name = COLUMNS.get(key)
        if name is None:
            errors.append(
                RowError(
                    1,
                    cell.strip(),
                    _(
                        "Cột không được dùng. Các cột: code, name, field, target_group và units "
                        "(không bắt buộc)."
                    ),
                )
            )
        elif name in where:
            errors.append(RowError(1, cell.strip(), _("Cột này lặp lại.")))
        else:
            where[name] = i
    for name in REQUIRED:
        if name not in where:
            errors.append(
                RowError(
                    1,
                    name,
                    _(
                        "Thiếu cột bắt buộc (cần dòng tiêu đề với các "
                        "cột code, name, field, target_group)."
                    ),
                )
            )
    return where, errors


def parse_csv(data: bytes) -> list[Row]:
    """The rows of a procedure list, or :class:`ImportFailed` listing every bad row."""
    if len(data) > IMPORT_MAX_BYTES:
        raise ImportFailed(
            [RowError(0, "", _("Tệp lớn quá %(n)d MB.", n=IMPORT_MAX_BYTES // (1024 * 1024)))]
        )
    text = _decode(data)
    if not text.strip():
        raise ImportFailed(
            [RowError(1, "", _("Tệp trống: cần một dòng tiêu đề và các dòng thủ tục."))]
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    errors: list[RowError] = []
    rows: list[Row] = []
    known_units = set(db.session.scalars(select(Unit.code)))
    first_line: dict[str, int] = {}
    where: dict[str, int] = {}
    names: list[str] = []
    line = 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if not names:
                names = [c.strip() for c in cells]
                where, bad = _header(cells)
                if bad:
                    raise ImportFailed(bad)
                continue
            if not any(c.strip() for c in cells):
                continue
            if len(rows) + len(errors) >= IMPORT_MAX_ROWS:
                errors.append(RowError(start, "", _("Tệp có quá %(n)d dòng.", n=IMPORT_MAX_ROWS)))
                break
            if len(cells) != len(names):
                errors.append(
                    RowError(
                        start,
                        "",
                        _(
                            "Dòng có %(got)d cột, dòng tiêu đề có %(want)d cột.",
                            got=len(cells),
                            want=len(names),
                        ),
                    )
                )
                continue
            row, bad = _row(start, cells, where, names, known_units, first_line)
            errors.extend(bad)
            if row is not None:
                rows.append(row)
    except csv.Error as exc:
        errors.append(
            RowError(reader.line_num, "", _("Lỗi định dạng CSV (%(detail)s).", detail=str(exc)))
        )
    if errors:
        raise ImportFailed(errors)
    if not rows:
        raise ImportFailed([RowError(1, "", _("Tệp không có dòng thủ tục nào."))])
    return rows


def _row(
    line: int,
    cells: list[str],
    where: dict[str, int],
    names: list[str],
    known_units: set[str],
    first_line: dict[str, int],
) -> tuple[Row | None, list[RowError]]:
    value = {k: cells[i] for k, i in where.items()}
    code, target = value["code"].strip(), value["target_group"].strip()
    name, field = _words(value["name"]), _words(value["field"])
    units = _unit_codes(value.get("units", ""))
    bad = [
        RowError(line, names[where[k]], reason)
        for k, reason in _check_values(code, name, field, target)
    ]
    if code in first_line:
        bad.append(
            RowError(
                line,
                names[where["code"]],
                _("Mã thủ tục %(code)s đã có ở dòng %(line)d.", code=code, line=first_line[code]),
            )
        )
    elif CODE_RE.fullmatch(code):
        first_line[code] = line
    unknown = [u for u in units if u not in known_units]
    if unknown:
        bad.append(
            RowError(
                line,
                names[where["units"]],
                _("Không có đơn vị mang mã: %(codes)s.", codes=", ".join(unknown)),
            )
        )
    if bad:
        return None, bad
    return Row(line, code, name, field, target, units), []


def _state(proc: Procedure, units: Iterable[str]) -> dict[str, Any]:
    return {
        "code": proc.code,
        "name": proc.name,
        "field": proc.field,
        "target_group": proc.target_group,
        "active": proc.active,
        "units": sorted(units),
    }


def _links(procedure_ids: list[int] | None = None) -> dict[int, set[str]]:
    """Procedure id → codes of the units it is linked to."""
    query = select(unit_procedures.c.procedure_id, Unit.code).join(
        Unit, Unit.id == unit_procedures.c.unit_id
    )
    if procedure_ids is not None:
        query = query.where(unit_procedures.c.procedure_id.in_(procedure_ids))
    found: dict[int, set[str]] = {}
    for pid, code in db.session.execute(query):
        found.setdefault(pid, set()).add(code)
    return found


def _changes(
    actor: User, action: str, proc: Procedure, before: dict[str, Any], after: dict[str, Any]
) -> None:
    changed = [k for k in after if after[k] != before[k]]
    audit.record(
        actor,
        action,
        "procedure",
        proc.id,
        {k: before[k] for k in changed},
        {k: after[k] for k in changed},
    )


def import_rows(actor: User, rows: list[Row]) -> ImportResult:
    """Add or update the checked rows by code and add their unit links; commit once."""
    existing = {p.code: p for p in db.session.scalars(select(Procedure))}
    links = _links()
    unit_ids = {code: uid for code, uid in db.session.execute(select(Unit.code, Unit.id))}
    added = updated = unchanged = linked = 0
    new_links: list[dict[str, int]] = []
    logged: list[tuple[Procedure, dict[str, Any] | None, set[str]]] = []
    for row in rows:
        proc = existing.get(row.code)
        if proc is None:
            proc = Procedure(code=row.code, active=True)
            db.session.add(proc)
            before, had = None, set()
        else:
            had = links.get(proc.id, set())
            before = _state(proc, had)
        proc.name, proc.field, proc.target_group = row.name, row.field, row.target_group
        fresh = [u for u in row.units if u not in had]
        logged.append((proc, before, had | set(fresh)))
        linked += len(fresh)
    db.session.flush()
    for (proc, before, units), row in zip(logged, rows, strict=True):
        new_links.extend(
            {"unit_id": unit_ids[u], "procedure_id": proc.id}
            for u in row.units
            if before is None or u not in before["units"]
        )
        after = _state(proc, units)
        if before is None:
            added += 1
            audit.record(actor, "procedure.add", "procedure", proc.id, None, after)
        elif after != before:
            updated += 1
            _changes(actor, "procedure.edit", proc, before, after)
        else:
            unchanged += 1
    if new_links:
        db.session.execute(insert(unit_procedures), new_links)
    result = ImportResult(added, updated, unchanged, linked)
    audit.record(
        actor,
        "procedure.import",
        "procedures",
        "csv",
        None,
        {"added": added, "updated": updated, "unchanged": unchanged, "links": linked},
    )
    db.session.commit()
    org.forget_cached_counters()
    return result


# -- one procedure at a time (the list page and the edit form) -------------------------------


@dataclass(frozen=True)
class Listing:
    procedures: list[Procedure]
    units: dict[int, list[str]]  # procedure id → unit codes
    total: int  # matches, of which at most LIST_LIMIT are shown


def search(query: str = "") -> Listing:
    """Procedures whose code, name or field contains ``query`` (case-insensitive), by code."""
    where = []
    query = query.strip()[:100]
    if query:
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(
            or_(
                Procedure.code.ilike(pattern, escape="\\"),
                Procedure.name.ilike(pattern, escape="\\"),
                Procedure.field.ilike(pattern, escape="\\"),
            )
        )
    total = db.session.scalar(select(func.count()).select_from(Procedure).where(*where)) or 0
    found = list(
        db.session.scalars(
            select(Procedure).where(*where).order_by(Procedure.code).limit(LIST_LIMIT)
        )
    )
    links = _links([p.id for p in found])
    return Listing(found, {p.id: sorted(links.get(p.id, ())) for p in found}, total)


def get(procedure_id: int) -> Procedure | None:
    return db.session.get(Procedure, procedure_id)


def unit_codes(proc: Procedure) -> list[str]:
    return sorted(_links([proc.id]).get(proc.id, ()))


def _from_form(form: dict[str, str], proc: Procedure | None) -> tuple[dict[str, str], list[Unit]]:
    values = {
        "code": (form.get("code") or "").strip(),
        "name": _words(form.get("name") or ""),
        "field": _words(form.get("field") or ""),
        "target_group": (form.get("target_group") or "").strip(),
    }
    bad = _check_values(values["code"], values["name"], values["field"], values["target_group"])
    if bad:
        raise ProcedureError(bad[0][1])
    taken = db.session.scalar(select(Procedure.id).where(Procedure.code == values["code"]))
    if taken is not None and (proc is None or taken != proc.id):
        raise ProcedureError(_("Mã thủ tục %(code)s đã có.", code=values["code"]))
    codes = _unit_codes(form.get("units") or "")
    units = list(db.session.scalars(select(Unit).where(Unit.code.in_(codes)))) if codes else []
    unknown = sorted(set(codes) - {u.code for u in units})
    if unknown:
        raise ProcedureError(_("Không có đơn vị mang mã: %(codes)s.", codes=", ".join(unknown)))
    return values, units


def _set_units(proc: Procedure, units: list[Unit]) -> None:
    wanted = {u.id for u in units}
    for unit in db.session.scalars(
        select(Unit).join(unit_procedures).where(unit_procedures.c.procedure_id == proc.id)
    ):
        if unit.id not in wanted:
            unit.procedures.remove(proc)
    for unit in units:
        if proc not in unit.procedures:
            unit.procedures.append(proc)


def add(actor: User, form: dict[str, str]) -> Procedure:
    values, units = _from_form(form, None)
    proc = Procedure(active=True, **values)
    db.session.add(proc)
    _set_units(proc, units)
    db.session.flush()
    audit.record(
        actor, "procedure.add", "procedure", proc.id, None, _state(proc, (u.code for u in units))
    )
    db.session.commit()
    org.forget_cached_counters()
    return proc


def update(actor: User, proc: Procedure, form: dict[str, str]) -> bool:
    """Save the edit form (the unit list replaces the links); ``False`` if nothing changed."""
    values, units = _from_form(form, proc)
    before = _state(proc, unit_codes(proc))
    for key, value in values.items():
        setattr(proc, key, value)
    _set_units(proc, units)
    after = _state(proc, (u.code for u in units))
    if after == before:
        return False
    _changes(actor, "procedure.edit", proc, before, after)
    db.session.commit()
    org.forget_cached_counters()
    return True


def set_active(actor: User, proc: Procedure, active: bool) -> None:
    if proc.active == active:
        raise ProcedureError(
            _("Thủ tục đang được dùng.") if active else _("Thủ tục đã ngừng sử dụng.")
        )
    proc.active = active
    audit.record(
        actor,
        "procedure.activate" if active else "procedure.deactivate",
        "procedure",
        proc.id,
        {"active": not active},
        {"active": active},
    )
    db.session.commit()
    org.forget_cached_counters()


def form_of(proc: Procedure) -> dict[str, str]:
    return {
        "code": proc.code,
        "name": proc.name,
        "field": proc.field,
        "target_group": proc.target_group,
        "units": " ".join(unit_codes(proc)),
    }


def labels(procedure_ids: list[str]) -> dict[str, str]:
    """Procedure id (as logged) → "CODE – name", for the audit log page."""
    ids = [int(i) for i in procedure_ids if i.isdigit()]
    rows = db.session.execute(
        select(Procedure.id, Procedure.code, Procedure.name).where(Procedure.id.in_(ids))
    )
    return {str(pid): f"{code} – {name}" for pid, code, name in rows}
