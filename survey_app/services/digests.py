"""Digests (issue 16, point 4): each evening at 17:00 Vietnam time a plain-Vietnamese e-mail
to the addresses of each unit's active ``digest`` rule (its unit heads), and every Monday at
08:00 the past week to the addresses of ``digest_weekly`` rules (the office).

What one says, for a unit and its subtree over a range of local days: the number of
responses, SIPAS with its 95 % interval (from :mod:`.analytics.scores`, i.e. the scoring
library), the low ratings (1–2) per item with the item's text, new complaints and overdue
ones. Silent tablets join once the kiosk reports (another branch). Short lines: it is read
on a phone.
"""

from __future__ import annotations

from collections import Counter as Tally
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import and_, func, select

import forms
from forms.model import SectionKind
from survey_app.extensions import db
from survey_app.models import AlertRule, Complaint, Response, Unit
from survey_app.services import analytics
from survey_app.services.alerts import delivery
from survey_app.services.clock import VN_TZ
from survey_app.services.formatting import day as day_text
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
    ]
    return "\n".join(lines)


def send(kind: str, first: date, last: date) -> int:
    """E-mail the digest of every unit with an active rule of ``kind`` (``digest`` or
    ``digest_weekly``); returns how many e-mails went out. A failure raises (the queue
    retries the task)."""
    rules = db.session.scalars(
        select(AlertRule).where(AlertRule.kind == kind, AlertRule.active.is_(True))
    ).all()
    sent = 0
    for rule in rules:
        if not rule.email_list:
            continue
        body = text(build(rule.unit, first, last))
        message = EmailMessage()
        period = "tuần" if kind == "digest_weekly" else "ngày"
        message["Subject"] = f"[SIPAS] Tổng hợp {period}: {rule.unit.name}"
        message["From"] = str(current_app.config.get("MAIL_FROM") or "sipas@localhost")
        message["To"] = ", ".join(rule.email_list)
        message.set_content(body)
        delivery.send_message(message)
        sent += 1
    return sent


def today_local() -> date:
    return datetime.now(VN_TZ).date()
