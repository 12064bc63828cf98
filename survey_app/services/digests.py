"""Digests (issue 16, point 4): each evening at 17:00 Vietnam time a plain-Vietnamese e-mail
to the addresses of each unit's active ``digest`` rule (its unit heads), and every Monday at
08:00 the past week to the addresses of ``digest_weekly`` rules (the office).

What one says, for a unit and its subtree over a range of local days: the number of
responses, SIPAS with its 95 % interval (from :mod:`.analytics.scores`, i.e. the scoring
library), the low ratings (1–2) per item with the item's text, new complaints and overdue
ones, and the counter tablets silent during opening hours (:mod:`.kiosk.silence`). Short
lines: it is read on a phone.

:func:`send` writes each digest once (a :class:`~survey_app.models.DigestMail`, unique per
rule and period, so a retried task writes no second one) and gives it one
:class:`~survey_app.models.Delivery` per address: sent by the queue's ``alerts.deliver``
like an alert's e-mail, retried the same way, listed in the delivery log with its status and
last error, and sent again from there.
"""

from __future__ import annotations

from collections import Counter as Tally
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError

import forms
from forms.model import SectionKind
from survey_app.extensions import db
from survey_app.models import AlertRule, Complaint, Delivery, DigestMail, Response, Unit
from survey_app.services import alerts, analytics, queue
from survey_app.services.clock import VN_TZ
from survey_app.services.formatting import day as day_text
from survey_app.services.kiosk import silence
from survey_app.services.org import subtree_ids


@dataclass(frozen=True)
class Digest:
    unit_name: str
    first: date
    last: date
    responses: int
    sipas: tuple[float | None, float | None, float | None]  # index, ci_low, ci_high
    low_items: list[tuple[str, str, int]]  # code, text, count
    new_complaints: int
    overdue_complaints: int
    silent: tuple[silence.SilenceLine, ...] = ()


def build(unit: Unit, first: date, last: date) -> Digest:
    ids = subtree_ids([unit.id])
    groups = analytics.scores.score_stored(
        analytics.slices.Slice(start=first, end=last, unit_code=unit.code)
    )
    sipas: tuple[float | None, float | None, float | None] = (None, None, None)
    responses = 0
    if groups:
        estimate = groups[0].sipas
        sipas = (estimate.index, estimate.ci_low, estimate.ci_high)
        responses = groups[0].n
    tally: Tally[str] = Tally()
    texts: dict[str, str] = {}
    rows = db.session.execute(
        select(Response.questionnaire_id, Response.answers).where(
            Response.unit_id.in_(ids), Response.local_day.between(first, last)
        )
    )
    for questionnaire_id, answers in rows:
        try:
            q = forms.get(questionnaire_id)
        except KeyError:
            continue
        codes = set(q.codes_of(SectionKind.FACTOR))
        for code, value in (answers or {}).items():
            if code in codes and value in (1, 2):
                tally[code] += 1
                texts.setdefault(code, q.item(code).text.vi)
    start = _utc(first)
    end = _utc(last + timedelta(days=1))
    new = db.session.scalar(
        select(func.count()).where(
            Complaint.unit_id.in_(ids), Complaint.created_at >= start, Complaint.created_at < end
        )
    )
    overdue = db.session.scalar(
        select(func.count()).where(
            and_(
                Complaint.unit_id.in_(ids),
                Complaint.status.in_(("moi", "da_giao")),
                Complaint.due_at < end,
            )
        )
    )
    return Digest(
        unit_name=unit.name,
        first=first,
        last=last,
        responses=int(responses),
        sipas=sipas,
        low_items=[(c, texts[c], n) for c, n in tally.most_common()],
        new_complaints=int(new or 0),
        overdue_complaints=int(overdue or 0),
        silent=tuple(silence.silences(ids, first, last)),
    )


def _utc(day: date) -> datetime:
    """The start of a local day, as an aware moment."""
    return datetime.combine(day, time(0), tzinfo=VN_TZ)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}".replace(".", ",") + " %"


def text(digest: Digest) -> str:
    """The digest in plain Vietnamese, short lines."""
    when = (
        day_text(digest.first)
        if digest.first == digest.last
        else f"{day_text(digest.first)}–{day_text(digest.last)}"
    )
    index, low, high = digest.sipas
    lines = [
        f"{digest.unit_name}",
        f"Tổng hợp {when}",
        "",
        f"Phản hồi: {digest.responses}",
        f"SIPAS: {_pct(index)} (khoảng tin cậy 95 %: {_pct(low)}–{_pct(high)})"
        if index is not None
        else "SIPAS: chưa có dữ liệu",
        "",
    ]
    if digest.low_items:
        lines.append("Đánh giá thấp (1–2):")
        lines += [f"- {code} {item}: {n} lượt" for code, item, n in digest.low_items[:10]]
    else:
        lines.append("Không có đánh giá thấp.")
    lines += [
        "",
        f"Phản ánh mới: {digest.new_complaints}",
        f"Phản ánh quá hạn chưa trả lời: {digest.overdue_complaints}",
        "",
    ]
    lines += silent_lines(digest)
    return "\n".join(lines)


SILENT_SHOWN = 10


def silent_lines(digest: Digest) -> list[str]:
    """ "Máy tính bảng không gửi tín hiệu": each silence, the day too over several days."""
    if not digest.silent:
        return ["Máy tính bảng tại quầy: không có máy nào im lặng trong giờ làm việc."]
    lines = [f"Máy tính bảng im lặng trong giờ làm việc: {len(digest.silent)} lần"]
    several = digest.first != digest.last
    for line in digest.silent[:SILENT_SHOWN]:
        when = f"{line.since:%d/%m} " if several else ""
        if line.until is None:
            span = f"từ {line.since:%H:%M}, chưa hoạt động lại"
        else:
            span = f"{line.since:%H:%M}–{line.until:%H:%M} ({line.minutes} phút)"
        lines.append(f"- {when}{line.counter}, {line.device}: {span}")
    if len(digest.silent) > SILENT_SHOWN:
        lines.append(f"- … và {len(digest.silent) - SILENT_SHOWN} lần khác")
    return lines


def send(kind: str, first: date, last: date) -> int:
    """Write the digest of every unit with an active rule of ``kind`` (``digest`` or
    ``digest_weekly``) and addresses, and queue its e-mails; returns how many digests were
    written (a period already written for a rule is skipped: its deliveries go on by
    themselves)."""
    rules = db.session.scalars(
        select(AlertRule)
        .where(AlertRule.kind == kind, AlertRule.active.is_(True))
        .order_by(AlertRule.id)
    ).all()
    written = 0
    for rule in rules:
        if not rule.email_list:
            continue
        done = db.session.scalar(
            select(DigestMail.id).where(
                DigestMail.rule_id == rule.id,
                DigestMail.first_day == first,
                DigestMail.last_day == last,
            )
        )
        if done is not None:
            continue
        period = "tuần" if kind == "digest_weekly" else "ngày"
        mail = DigestMail(
            rule_id=rule.id,
            unit_id=rule.unit_id,
            kind=kind,
            first_day=first,
            last_day=last,
            subject=f"[SIPAS] Tổng hợp {period}: {rule.unit.name}"[:300],
            body=text(build(rule.unit, first, last)),
        )
        db.session.add(mail)
        try:
            db.session.flush()
        except IntegrityError:  # another worker wrote it meanwhile
            db.session.rollback()
            continue
        rows = [Delivery(digest_id=mail.id, channel="email", target=a) for a in rule.email_list]
        db.session.add_all(rows)
        db.session.commit()
        for row in rows:
            queue.enqueue_quietly(alerts.DELIVER, row.id)  # the sweep sends what is missed
        written += 1
    return written


def today_local() -> date:
    return datetime.now(VN_TZ).date()
