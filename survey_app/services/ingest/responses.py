"""Storing a response: validation against the questionnaire, idempotency, receipts.

One call, one statement and its commit.  Nothing else is written beside the response: its day
is open, and each process reads the open day's new responses when a page needs them
(:func:`.daystats.open_block`); the day is packed into stored blocks once it is closed.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError

import forms
from forms import CHANNELS, Questionnaire
from survey_app.extensions import db
from survey_app.models import Invitation, Response, Unit
from survey_app.services import queue, text
from survey_app.services.clock import local_day
from survey_app.services.errors import UNSTORABLE_TEXT
from survey_app.services.ingest.ratelimit import keyed_hash
from survey_app.services.org import CounterInfo, ProcedureInfo
from survey_app.services.storage.engine import SqliteInserts, is_unavailable, write_queue

RETRY_AFTER_SECONDS = 5  # what a 503 (DatabaseBusy) asks the sender to wait
EVALUATE_ALERTS = "alerts.evaluate"  # the queue's task (services.tasks → services.alerts)
_IDEMPOTENCY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_SQLITE = SqliteInserts(Response.__table__)


class SubmissionError(Exception):
    """Input that cannot be stored; ``errors`` maps a field name to a readable message."""

    def __init__(self, errors: Mapping[str, Any]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


class ReceiptReused(Exception):
    """The receipt/transaction number was already used for a response at this unit."""


class AlreadyRated(Exception):  # noqa: N818 - a state, not a programming error
    """The dossier already has its response (a second tap, or an invitation used before):
    nothing was stored."""


class DatabaseBusy(Exception):  # noqa: N818 - a state, not a programming error
    """The database could not take the response now: another writer held it longer than the
    busy timeout (on SQLite, a long import), or it is unreachable or restarting
    (:func:`.engine.is_unavailable`); nothing was stored, and sending the same submission
    again is safe."""


@dataclass(frozen=True)
class Submission:
    """What a citizen (or a kiosk) sent, before validation."""

    answers: Mapping[str, Any]
    procedure: str | None = None
    channel: str | None = None
    comment: str | None = None
    transaction_ref: str | None = None
    idempotency_key: str | None = None
    source: str = "qr"
    submitted_at: datetime | None = None
    # The counter tablet that sent it (issue 15); a verified response's dossier comes as
    # :class:`Verified`, never in the submission.
    device_id: int | None = None
    # The open QR form's client as a keyed hash for the day (``ratelimit.day_client_key``):
    # bursts from one client are a trust signal for inspectors (issue 14).
    client_hash: str | None = None


@dataclass(frozen=True)
class Verified:
    """The dossier a response is made for, through its invitation (issue 13).

    The dossier says where and how the citizen was served, so the form does not ask:
    ``counter_id`` (the receiving counter, ``None`` when the dossier names none) and
    ``procedure`` (the catalogue's procedure, ``None`` when the code is not in it) replace
    the counter's and the typed ones; the response gets ``dossier_id`` and the dossier's
    invitation is marked used in the same transaction.
    """

    dossier_id: int
    counter_id: int | None
    procedure: ProcedureInfo | None


@dataclass(frozen=True)
class Stored:
    response_id: int
    created: bool  # False when the idempotency key matched an earlier response


@dataclass
class _Clean:
    answers: dict[str, int] = field(default_factory=dict)
    procedure: ProcedureInfo | None = None
    channel: str | None = None
    comment: str | None = None
    receipt_hash: str | None = None
    idempotency_key: str | None = None


NOT_A_CHOICE = _l("Câu trả lời không nằm trong các lựa chọn của câu hỏi.")
NO_SUCH_PROCEDURE = _l("Không tìm thấy thủ tục nào của cơ quan khớp với nội dung đã nhập.")


def _answer_value(raw: Any) -> int | None:
    """An answer code given as an int, a whole float (JSON ``3.0``) or a string of ASCII
    digits (the form's radio values); ``None`` for anything else (``"⁵"`` is not a digit)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        return int(raw.strip())
    return None


def _text(errors: dict[str, Any], name: str, raw: str) -> str:
    """``raw`` under the input rule (services/text.py); NUL or a lone surrogate is an error."""
    try:
        return text.check(raw)
    except text.UnstorableText:
        errors[name] = UNSTORABLE_TEXT
        return ""


def fold(text: str) -> str:
    """Lower-case and strip Vietnamese diacritics, for forgiving matching ("đất" → "dat")."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def resolve_procedure(procedures: Iterable[ProcedureInfo], text: str) -> ProcedureInfo | None:
    """Find a procedure from what was typed: its code, "code name", or words of its name
    (case and diacritics ignored); ``None`` when nothing or more than one matches.
    """
    wanted = text.strip()
    if not wanted:
        return None
    code = wanted.split(" ", 1)[0]
    candidates = list(procedures)
    for p in candidates:
        if p.code in (code, wanted):
            return p
    folded = fold(wanted)
    exact = [p for p in candidates if fold(p.name) == folded]
    if len(exact) == 1:
        return exact[0]
    words = folded.split()
    partial = [p for p in candidates if all(w in fold(p.name) for w in words)]
    return partial[0] if len(partial) == 1 else None


def validate(q: Questionnaire, info: CounterInfo, sub: Submission) -> _Clean:
    """Check every field against the questionnaire; raise :class:`SubmissionError`."""
    errors: dict[str, Any] = {}
    clean = _Clean()
    if not isinstance(sub.answers, Mapping):
        raise SubmissionError({"answers": _l("Câu trả lời phải là một bảng mã câu hỏi → giá trị.")})
    known = {item.code: item for item in q.items}
    for code, raw in sub.answers.items():
        item = known.get(str(code))
        if item is None:
            errors[f"answers.{code}"] = _l("Mã câu hỏi không có trong phiếu này.")
            continue
        if raw in (None, "", 0, "0"):
            continue  # "Không có ý kiến" is stored as missing
        value = _answer_value(raw)
        if value not in item.scale.values:
            errors[f"answers.{code}"] = NOT_A_CHOICE
            continue
        clean.answers[item.code] = value
    if not clean.answers and not errors:
        errors["answers"] = _l("Vui lòng trả lời ít nhất một câu hỏi.")

    if sub.procedure:
        wanted = _text(errors, "procedure", sub.procedure)
        clean.procedure = resolve_procedure(info.procedures, wanted) if wanted else None
        if clean.procedure is None and "procedure" not in errors:
            errors["procedure"] = NO_SUCH_PROCEDURE
    if sub.channel:
        if sub.channel not in CHANNELS:
            errors["channel"] = _l("Hình thức nộp hồ sơ không hợp lệ.")
        clean.channel = sub.channel
    if sub.comment:
        comment = _text(errors, "comment", sub.comment).strip()
        limit = int(current_app.config["MAX_COMMENT_LENGTH"])
        # The limit holds for what was sent or for what is kept, whichever is shorter (the
        # API's schema counts what is sent; the form's line ends shrink when kept).
        if min(len(comment), len(sub.comment)) > limit:
            errors["comment"] = _l("Ý kiến dài quá %(n)d ký tự.", n=limit)
        clean.comment = comment or None
    if sub.transaction_ref:
        # NFKC, dashes and spaces folded: "HS‐２０２６ 01" is the receipt HS-202601; the
        # limit counts what was sent (folding may lengthen it); blank is no receipt.
        ref = text.identifier(_text(errors, "transaction_ref", sub.transaction_ref))
        if len(sub.transaction_ref) > 64:
            errors["transaction_ref"] = _l("Số biên nhận quá dài.")
        clean.receipt_hash = keyed_hash("receipt", ref) if ref else None
    if sub.idempotency_key:
        if not _IDEMPOTENCY.fullmatch(sub.idempotency_key):
            errors["idempotency_key"] = _l("Mã chống gửi trùng không hợp lệ.")
        clean.idempotency_key = sub.idempotency_key
    if errors:
        raise SubmissionError(errors)
    return clean


def submit(
    info: CounterInfo, q: Questionnaire, sub: Submission, verified: Verified | None = None
) -> Stored:
    """Validate and store one response, in one transaction.

    A repeated idempotency key returns the first response (``created=False``); a receipt
    number already used at the unit raises :class:`ReceiptReused`; nothing is stored on error.
    The common path is one INSERT … RETURNING: duplicates are found by the unique
    constraints, not by looking first.  With ``verified`` the response belongs to that
    dossier: its invitation is marked used in the same transaction, and a dossier that has
    its response already (the unique index on ``responses.dossier_id``, or an invitation
    used) raises :class:`AlreadyRated`.
    """
    clean = validate(q, info, sub)
    moment = sub.submitted_at or datetime.now(UTC)
    procedure = verified.procedure if verified else clean.procedure
    row = {
        "questionnaire_id": q.id,
        "unit_id": info.unit_id,
        "counter_id": verified.counter_id if verified else info.counter_id,
        "procedure_id": procedure.id if procedure else None,
        "target_group": procedure.target_group if procedure else info.target_group,
        "channel": clean.channel,
        "submitted_at": moment,
        "local_day": local_day(moment),
        "answers": clean.answers,
        "comment": clean.comment,
        "source": sub.source,
        "idempotency_key": clean.idempotency_key,
        "receipt_hash": clean.receipt_hash,
        "dossier_id": verified.dossier_id if verified else None,
        "device_id": sub.device_id,
        "client_hash": sub.client_hash,
    }
    try:
        response_id = _store_verified(row, moment) if verified else _store(row)
    except (OperationalError, sqlite3.OperationalError, SQLAlchemyTimeoutError) as exc:
        if is_unavailable(exc):
            raise DatabaseBusy() from exc
        raise
    except (IntegrityError, sqlite3.IntegrityError):
        if verified is not None:
            raise AlreadyRated() from None  # the dossier's one response exists (a double tap)
        if clean.idempotency_key:
            earlier = _by_idempotency(info.counter_id, clean.idempotency_key)
            if earlier is not None:  # a resend, or a double tap that lost the race
                return Stored(earlier, created=False)
        if clean.receipt_hash and _receipt_used(info.unit_id, clean.receipt_hash):
            raise ReceiptReused() from None
        raise
    # After the commit: the alert rules look at it on the queue. Never fails, never waits long
    # (a queue that is away is logged and skipped for a few seconds: services.queue).
    queue.enqueue_quietly(EVALUATE_ALERTS, response_id)
    return Stored(response_id, created=True)


_RESPONSES = Response.__table__
_INSERT_RESPONSE = insert(_RESPONSES).returning(_RESPONSES.c.id)  # type: ignore[arg-type]  # Core


def _store(row: dict[str, Any]) -> int:
    """One transaction: the response. Returns its id.

    SQLite has one writer at a time, and a writer that finds the lock taken sleeps in steps of
    milliseconds: writers queue on a kernel lock instead (which wakes them at once) and hold it
    only for the statement and the commit. Other databases take concurrent writers.
    """
    engine = db.engine
    if engine.dialect.name != "sqlite" or not engine.url.database:
        with engine.begin() as conn:
            response_id = conn.execute(_INSERT_RESPONSE, row).scalar_one()
        return int(response_id)
    params = _SQLITE.params(row)  # converted before taking the write lock
    with engine.connect() as conn, write_queue(engine.url.database):
        return _SQLITE.write(conn.connection.dbapi_connection, params)


def _store_verified(row: dict[str, Any], moment: datetime) -> int:
    """One transaction: the response and its invitation marked used. On SQLite it waits in
    the same write queue as :func:`_store`; a second response for the dossier fails on the
    unique index (raised as ``IntegrityError``) or finds the invitation used already
    (:class:`AlreadyRated`), and nothing is kept."""
    mark = (
        update(Invitation)
        .where(Invitation.dossier_id == row["dossier_id"], Invitation.used_at.is_(None))
        .values(used_at=moment)
    )
    engine = db.engine
    if engine.dialect.name != "sqlite" or not engine.url.database:
        with engine.begin() as conn:
            response_id = conn.execute(_INSERT_RESPONSE, row).scalar_one()
            if conn.execute(mark).rowcount != 1:
                raise AlreadyRated()
        return int(response_id)
    with engine.connect() as conn, write_queue(engine.url.database), conn.begin():
        response_id = conn.execute(_INSERT_RESPONSE, row).scalar_one()
        if conn.execute(mark).rowcount != 1:
            raise AlreadyRated()
    return int(response_id)


def _by_idempotency(counter_id: int, key: str) -> int | None:
    return db.session.scalar(
        select(Response.id).where(
            Response.counter_id == counter_id, Response.idempotency_key == key
        )
    )


def _receipt_used(unit_id: int, receipt_hash: str) -> bool:
    found = db.session.scalar(
        select(Response.id).where(
            Response.unit_id == unit_id, Response.receipt_hash == receipt_hash
        )
    )
    return found is not None


def questionnaire_for(info: CounterInfo | Unit) -> Questionnaire:
    return forms.get(info.questionnaire_id)


@dataclass(frozen=True)
class PublicForm:
    """What a counter's QR card shows: ``questionnaire``; ``more``, the unit's questionnaire
    that "trả lời thêm" opens (the quick form is shown first); ``fuller``, whether this is
    that questionnaire, reached through "trả lời thêm" (the page links back)."""

    questionnaire: Questionnaire
    more: Questionnaire | None = None
    fuller: bool = False


def public_form(info: CounterInfo, wants_more: bool) -> PublicForm:
    """The form a QR card opens (the unit's setting ``form_start``): the quick form first,
    with the unit's questionnaire one link away, or the unit's questionnaire at once. A unit
    whose questionnaire is the quick one has nothing more to offer."""
    own = forms.get(info.questionnaire_id)
    if info.form_start != "nhanh" or own.id == forms.QUICK_VERSION:
        return PublicForm(own)
    if wants_more:
        return PublicForm(own, fuller=True)
    return PublicForm(forms.get(forms.QUICK_VERSION), more=own)
