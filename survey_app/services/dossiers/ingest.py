"""Dossiers in: one validator for a dossier row, and the all-or-nothing upsert of a batch.

Why this module is long: the row validator is the one place that says what a dossier field
may hold, with a message for each way it can be wrong (the API, the CSV and workbook
imports and the columnar fast path all fall back to it); splitting it by field would scatter
that contract over several files.

The same :class:`Checker` reads a row of ``POST /api/v1/dossiers``, of a CSV file and of a
workbook (:mod:`.files`): every bad row is named with its row (the file's line, or the
dossier's position in the API's list), its field and the reason, in the language of the
page, the API call or the command line (Vietnamese msgids, the one catalogue). Fields:

``code`` (required; spaces removed at the ends, upper case; must match
``DOSSIER_CODE_PATTERN``), ``procedure_code`` (required; linked to the catalogue's procedure
when the code is in it), ``receiving_unit`` and ``resolving_unit`` (unit codes, required),
``receiving_counter`` (a counter code of the receiving unit, optional), ``channel`` (METHOD
§7 codes, optional), ``received_at`` (ISO 8601; without an offset it is Vietnam time),
``due_date`` (``YYYY-MM-DD``, not before the day it was received), ``returned_at`` (when the
dossier was closed: the result or the refusal returned, or the withdrawal; **required for
``da_tra``, ``tu_choi`` and ``rut``, empty for ``dang_xu_ly``**; not before ``received_at``),
``outcome`` (``da_tra`` | ``tu_choi`` | ``rut`` | ``dang_xu_ly``), ``supplements`` (a whole
number 0–999, empty = 0) and ``apology_sent`` (``1``/``0``, ``true``/``false``,
``có``/``không``; empty = no).

The upsert (:func:`ingest`) is by normalised code. A dossier's ``fingerprint`` is a digest of
the values it would be stored with (codes resolved to ids, moments in UTC): identical →
unchanged, different → updated (``changed_at`` set), unknown code → created. A code twice in
one batch is an error. Rows are checked, compared and written in chunks inside one
transaction (no ORM object per row: one ``executemany`` per chunk, a raw one on SQLite), and
any problem anywhere rolls the whole batch back — so a million-row file streams through in
bounded chunks yet stores all or nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from survey_app.extensions import db
from survey_app.models import Counter, Procedure, Unit
from survey_app.models.dossiers import CHANNELS, OUTCOMES
from survey_app.services.dossiers.results import (
    DatabaseBusy,
    DossiersRefused,
    IngestResult,
    OutsideUnits,
    Problem,
)
from survey_app.services.dossiers.rules import (
    VN_FIXED,
    code_matches,
    local_ordinal,
    normalise_code,
    utc_text,
)
from survey_app.services.dossiers.store import Store
from survey_app.services.storage.engine import is_unavailable

__all__ = [
    "FIELDS",
    "Checker",
    "DatabaseBusy",
    "DossiersRefused",
    "IngestResult",
    "OutsideUnits",
    "Problem",
    "ingest",
]

# The fields of a dossier, in the file's and the template's order.
FIELDS = tuple(
    "code procedure_code receiving_unit receiving_counter resolving_unit channel received_at "
    "due_date returned_at outcome supplements apology_sent".split()
)
REQUIRED = ("code", "procedure_code", "receiving_unit", "resolving_unit", "received_at")
REQUIRED_COLUMNS = (*REQUIRED, "due_date", "outcome")
CLOSED = frozenset(("da_tra", "tu_choi", "rut"))
MAX_SUPPLEMENTS = 999
FUTURE_SLACK = timedelta(days=1)  # clocks differ; later than that is a typo
YEARS = (2000, 2100)
CHUNK = 50_000  # rows checked, compared and written at a time
SQLITE_CACHE_KIB = 256 * 1024  # SQLite page cache during a file import, in KiB
TRUE = frozenset(("1", "true", "có", "co", "x", "yes"))
FALSE = frozenset(("", "0", "false", "không", "khong", "no"))
_KNOWN = frozenset(FIELDS)

# (code, procedure_code, procedure_id, receiving_unit_id, receiving_counter_id,
#  resolving_unit_id, channel, received_at, due_date, returned_at, returned_day, outcome,
#  supplements, apology_sent) — the values as stored, moments aware UTC.
Row = tuple[Any, ...]


# --- the validator ------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    """A cell or JSON value as stripped text; ``None`` when it is not text (a JSON number
    where text was expected is accepted as its digits, a bool or object is not)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


class Checker:
    """Checks and normalises rows against the catalogue as it is now (units, counters,
    procedures read once); ``allowed``: the unit ids rows may name (``None``: every unit);
    ``check_keys``: refuse fields that are not :data:`FIELDS` (an API object; a file's
    header is checked once instead).

    A checked row holds its values as stored, in a canonical text form (moments as naive
    UTC text, days ISO, the apology 0/1) so that the fingerprint and the SQLite insert use
    them as they are (:mod:`.store`)."""

    def __init__(
        self, allowed: set[int] | None, max_problems: int, check_keys: bool = True
    ) -> None:
        self.allowed = allowed
        self.cap = max_problems
        self.check_keys = check_keys
        self.problems: list[Problem] = []
        self.more = 0
        self.outside: list[Problem] = []
        self.units = dict(db.session.execute(select(Unit.code, Unit.id)).all())
        self.counters = {
            (u, c): i
            for i, u, c in db.session.execute(select(Counter.id, Counter.unit_id, Counter.code))
        }
        self.procedures = dict(db.session.execute(select(Procedure.code, Procedure.id)).all())
        self.pattern = str(current_app.config["DOSSIER_CODE_PATTERN"])
        self.latest = utc_text(datetime.now(UTC) + FUTURE_SLACK)
        # due date text → (ISO day, ordinal) (None: not a day); ordinal → ISO day
        self.days: dict[str, tuple[str, int] | None] = {}
        self.iso: dict[int, str] = {}

    def problem(self, line: int, column: str, message: str) -> None:
        if len(self.problems) < self.cap:
            self.problems.append(Problem(line, column, message))
        else:
            self.more += 1

    def duplicate(self, line: int, code: str, first: int) -> None:
        self.problem(
            line, "code", _("mã hồ sơ %(code)s đã có ở dòng %(first)s", code=code, first=first)
        )

    @property
    def failed(self) -> bool:
        return bool(self.problems) or self.more > 0

    @property
    def count(self) -> int:
        return len(self.problems) + self.more

    def _unit(self, line: int, column: str, raw: str) -> int:
        uid = self.units.get(raw)
        if uid is None:
            self.problem(line, column, _("không có đơn vị mã “%(code)s”", code=raw))
            return 0
        if self.allowed is not None and uid not in self.allowed:
            message = _("đơn vị “%(code)s” nằm ngoài các đơn vị được phép gửi", code=raw)
            self.problem(line, column, message)
            self.outside.append(Problem(line, column, message))
            return 0
        return uid

    def _moment(self, line: int, column: str, raw: str) -> tuple[str, datetime] | None:
        """(stored text, aware UTC moment) of an ISO 8601 moment (no offset: Vietnam)."""
        try:
            moment = datetime.fromisoformat(raw)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=VN_FIXED)
            text = utc_text(moment)
        except (ValueError, OverflowError):
            self.problem(
                line,
                column,
                _(
                    "“%(value)s” không phải thời điểm ISO 8601 (vd. 2026-10-08T08:30:00+07:00)",
                    value=raw[:40],
                ),
            )
            return None
        if not YEARS[0] <= moment.year <= YEARS[1]:
            self.problem(line, column, _("năm phải trong khoảng 2000–2100"))
            return None
        if text > self.latest:
            self.problem(line, column, _("thời điểm ở tương lai"))
            return None
        return text, moment

    def _day(self, raw: str) -> tuple[str, int] | None:
        if raw in self.days:
            return self.days[raw]
        text = raw[:10] if raw.endswith(("T00:00:00", " 00:00:00")) else raw  # a workbook's
        try:
            day = date.fromisoformat(text) if len(text) == 10 else None
        except ValueError:
            day = None
        value = None
        if day is not None and YEARS[0] <= day.year <= YEARS[1]:
            value = (day.isoformat(), day.toordinal())
        if len(self.days) < 100_000:
            self.days[raw] = value
        return value

    def _iso(self, ordinal: int) -> str:
        found = self.iso.get(ordinal)
        if found is None:
            found = self.iso[ordinal] = date.fromordinal(ordinal).isoformat()
        return found

    def row(self, line: int, source: Any) -> Row | None:
        """The row's stored values, or ``None`` after recording its problems. ``source``: a
        mapping of field → raw value (a file's cells by column, an API object)."""
        bad = self.problem
        if isinstance(source, Problem):  # the reader's (a row with too many cells)
            bad(source.line, source.column, source.message)
            return None
        if not isinstance(source, Mapping):
            bad(line, "", _("mỗi hồ sơ phải là một đối tượng JSON"))
            return None
        start = self.count
        if self.check_keys:
            for name in source:
                if name not in _KNOWN:
                    bad(line, str(name)[:40], _("trường không được hỗ trợ"))
        texts: dict[str, str] = {}
        get = source.get
        for name in FIELDS:
            raw = get(name)
            value: str | None
            if type(raw) is str:
                value = raw.strip()
            else:
                value = _text(raw)
                if value is None:
                    if name == "apology_sent" and isinstance(raw, bool):
                        value = "1" if raw else "0"
                    else:
                        bad(line, name, _("phải là chuỗi ký tự"))
                        value = ""
            if not value and name in REQUIRED_COLUMNS:
                bad(line, name, _("bắt buộc, không được để trống"))
            texts[name] = value
        if self.count > start:  # a missing or unreadable value: nothing more to say
            return None
        code = normalise_code(texts["code"])
        if len(code) > 60 or not code_matches(code, self.pattern):
            bad(
                line,
                "code",
                _(
                    "mã hồ sơ “%(code)s” không đúng dạng {mã cơ quan}-{yyMMdd}-{số thứ tự}"
                    " (vd. H15.50.05.13-261008-0975)",
                    code=code[:60],
                ),
            )
        procedure_code = texts["procedure_code"]
        if len(procedure_code) > 40 or not procedure_code.isprintable():
            bad(line, "procedure_code", _("mã thủ tục dài quá 40 ký tự hoặc có ký tự lạ"))
        receiving = self._unit(line, "receiving_unit", texts["receiving_unit"])
        resolving = self._unit(line, "resolving_unit", texts["resolving_unit"])
        counter_id = None
        counter_code = texts["receiving_counter"]
        if counter_code and receiving:
            counter_id = self.counters.get((receiving, counter_code))
            if counter_id is None:
                bad(
                    line,
                    "receiving_counter",
                    _(
                        "đơn vị “%(unit)s” không có quầy mã “%(code)s”",
                        unit=texts["receiving_unit"],
                        code=counter_code,
                    ),
                )
        channel = texts["channel"] or None
        if channel is not None and channel not in CHANNELS:
            bad(
                line,
                "channel",
                _(
                    "hình thức nộp “%(value)s” không hợp lệ; dùng %(codes)s hoặc để trống",
                    value=channel[:40],
                    codes=", ".join(CHANNELS),
                ),
            )
        outcome = texts["outcome"]
        if outcome not in OUTCOMES:
            bad(
                line,
                "outcome",
                _(
                    "kết quả “%(value)s” không hợp lệ; dùng %(codes)s",
                    value=outcome[:40],
                    codes=", ".join(OUTCOMES),
                ),
            )
        received = self._moment(line, "received_at", texts["received_at"])
        due = self._day(texts["due_date"])
        if due is None:
            bad(
                line,
                "due_date",
                _(
                    "“%(value)s” không phải ngày dạng YYYY-MM-DD (năm 2000–2100)",
                    value=texts["due_date"][:40],
                ),
            )
        elif received is not None and due[1] < local_ordinal(received[1]):
            bad(line, "due_date", _("ngày hẹn trả trước ngày tiếp nhận"))
        returned = returned_day = None
        if texts["returned_at"]:
            found = self._moment(line, "returned_at", texts["returned_at"])
            if found is not None:
                if outcome == "dang_xu_ly":
                    bad(
                        line,
                        "returned_at",
                        _("hồ sơ đang xử lý (dang_xu_ly) không có thời điểm trả"),
                    )
                elif received is not None and found[0] < received[0]:
                    bad(line, "returned_at", _("thời điểm trả trước thời điểm tiếp nhận"))
                returned = found[0]
                returned_day = self._iso(local_ordinal(found[1]))
        elif outcome in CLOSED:
            bad(
                line,
                "returned_at",
                _(
                    "bắt buộc khi kết quả là %(outcome)s (thời điểm trả kết quả, từ chối hoặc rút)",
                    outcome=outcome,
                ),
            )
        raw = texts["supplements"]
        supplements = 0
        if raw:
            supplements = int(raw) if raw.isascii() and raw.isdigit() else -1
            if not 0 <= supplements <= MAX_SUPPLEMENTS:
                bad(line, "supplements", _("số lần yêu cầu bổ sung phải là số nguyên 0–999"))
        answer = texts["apology_sent"].lower()
        if answer not in TRUE and answer not in FALSE:
            bad(line, "apology_sent", _("chỉ nhận 1/0, true/false hoặc có/không"))
        if self.count > start or received is None or due is None:
            return None
        return (
            code,
            procedure_code,
            self.procedures.get(procedure_code),
            receiving,
            counter_id,
            resolving,
            channel,
            received[0],
            due[0],
            returned,
            returned_day,
            outcome,
            supplements,
            1 if answer in TRUE else 0,
        )


Feed = Callable[["Checker", Store, IngestResult], None]


def ingest(
    records: Iterable[tuple[int, Any]],
    *,
    allowed: set[int] | None = None,
    dry_run: bool = False,
    preload: bool = False,
    max_problems: int | None = None,
    check_keys: bool = True,
    before_commit: Callable[[IngestResult], None] | None = None,
) -> IngestResult:
    """Check and upsert ``records`` — (row number, mapping of field → raw value) — all or
    nothing, and commit (``dry_run``: roll back, the counts say what would happen).

    Raises :class:`OutsideUnits` when a row names a unit outside ``allowed`` (the other
    problems listed too), :class:`DossiersRefused` for any other problem (nothing stored),
    :class:`DatabaseBusy` when the database is busy or unreachable."""

    def feed(checker: Checker, store: Store, result: IngestResult) -> None:
        seen: dict[str, int] = {}
        chunk: list[Row] = []
        for line, get in records:
            result.rows += 1
            row = checker.row(line, get)
            if row is None:
                continue
            first = seen.setdefault(row[0], line)
            if first != line:
                checker.duplicate(line, row[0], first)
                continue
            if checker.failed:
                continue  # nothing will be stored: keep checking, write nothing
            chunk.append(row)
            if len(chunk) >= CHUNK:
                store.write(chunk, result)
                chunk = []
        if chunk and not checker.failed:
            store.write(chunk, result)

    return run(
        feed,
        allowed=allowed,
        dry_run=dry_run,
        preload=preload,
        max_problems=max_problems,
        check_keys=check_keys,
        before_commit=before_commit,
    )


def run(
    feed: Feed,
    *,
    allowed: set[int] | None = None,
    dry_run: bool = False,
    preload: bool = False,
    max_problems: int | None = None,
    check_keys: bool = True,
    before_commit: Callable[[IngestResult], None] | None = None,
) -> IngestResult:
    """The all-or-nothing frame of an ingest: ``feed`` checks the rows with the checker,
    counts them in the result and writes them through the store (nothing once the checker
    has failed); then refuse (roll back), or commit (``dry_run``: roll back)."""
    cap = int(max_problems or current_app.config["IMPORT_MAX_PROBLEMS"])
    result = IngestResult(dry_run=dry_run)
    big = preload and db.engine.dialect.name == "sqlite"
    cache = None
    try:
        if big:  # the indexes a large load updates fit in a bigger page cache
            cache = db.session.execute(text("PRAGMA cache_size")).scalar()
            db.session.execute(text(f"PRAGMA cache_size = {-SQLITE_CACHE_KIB}"))
        checker = Checker(allowed, cap, check_keys)
        store = Store(preload, dry_run)
        feed(checker, store, result)
        if result.rows == 0:
            checker.problem(0, "", _("không có hồ sơ nào"))
        if checker.failed:
            db.session.rollback()
            if checker.outside:
                raise OutsideUnits(checker.problems, checker.more)
            raise DossiersRefused(checker.problems, checker.more)
        store.finish()
        if dry_run:
            db.session.rollback()
            return result
        if before_commit is not None:
            before_commit(result)
        db.session.commit()
    except OperationalError as exc:
        db.session.rollback()
        if is_unavailable(exc):
            raise DatabaseBusy() from exc
        raise
    except Exception as exc:
        db.session.rollback()
        if type(exc).__module__ == "sqlite3" and is_unavailable(exc):
            raise DatabaseBusy() from exc
        raise
    finally:
        if big and cache is not None:
            db.session.execute(text(f"PRAGMA cache_size = {int(cache or -2000)}"))
            db.session.commit()
    return result
