"""One single-use invitation per dossier: its link, its state, the verified response.

- :func:`issue` makes the dossier's invitation, or gives the one it has (an SMS may be sent
  twice: the same dossier gives the same link). A revoked invitation is issued again with a
  new token (the old link stays dead).
- The token is 10 characters of base58 (no ``0 O I l``, nothing to misread on a printed
  slip; about 58 bits) from :mod:`secrets`. It rides in the long URL (``/ho-so/<token>``,
  what the QR code of a slip encodes) and in the short one (``/h/<token>``, for SMS: the
  whole URL at most 40 characters with a typical domain, under ``SHORT_URL_BASE``).
- It expires ``INVITATION_DAYS`` after the dossier's result was returned; for a dossier
  still open, after the invitation was made — and when such a dossier is returned later,
  the later of the two holds (:func:`expires_at`).
- :func:`lookup` gives a token's state: ``ok``, ``used``, ``revoked``, ``expired`` or
  ``unknown`` (in this order of precedence: a used link always says "already rated").
- :func:`submit` stores the rating through :func:`.ingest.responses.submit` with the
  dossier's unit (the **receiving** unit: where the citizen was served), counter, procedure
  and channel; source ``invitation``; the invitation is marked used in the same
  transaction, and a second submission (a double tap) stores nothing.
- :func:`find_for_counter` is the counter form's "Tôi có mã hồ sơ": a dossier received in
  the counter's unit subtree, unanswered and with a live (or no) invitation; anything else
  is ``None``, whatever the reason, so the answer reveals nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

import forms
from survey_app.extensions import db
from survey_app.models import Counter, Dossier, Invitation, Procedure, Unit
from survey_app.services import org
from survey_app.services.clock import local_day
from survey_app.services.dossiers.rules import normalise_code
from survey_app.services.ingest import responses

BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
TOKEN_LENGTH = 10
LONG_PATH = "/ho-so/"
SHORT_PATH = "/h/"
SOURCE = "invitation"  # responses.source of a rating made through an invitation

State = Literal["ok", "used", "revoked", "expired", "unknown"]


def new_token() -> str:
    return "".join(secrets.choice(BASE58) for _ in range(TOKEN_LENGTH))


def well_formed(token: str) -> bool:
    return len(token) == TOKEN_LENGTH and all(c in BASE58 for c in token)


def url(token: str) -> str:
    """The long link (what a slip's QR code encodes)."""
    return f"{str(current_app.config['BASE_URL']).rstrip('/')}{LONG_PATH}{token}"


def short_url(token: str) -> str:
    """The short link for SMS and Zalo: ``SHORT_URL_BASE`` (else ``BASE_URL``) + ``/h/``."""
    base = str(current_app.config.get("SHORT_URL_BASE") or current_app.config["BASE_URL"])
    return f"{base.rstrip('/')}{SHORT_PATH}{token}"


def _days() -> timedelta:
    return timedelta(days=int(current_app.config["INVITATION_DAYS"]))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def expires_at(invitation: Invitation) -> datetime:
    """When the invitation stops working: the stored moment, or ``INVITATION_DAYS`` after
    the dossier's return when that is later (a dossier invited while open, returned since)."""
    stored = _aware(invitation.expires_at)
    returned = invitation.dossier.returned_at
    return max(stored, _aware(returned) + _days()) if returned else stored


@dataclass(frozen=True)
class Link:
    """An invitation as the API, the CSV and the slips give it."""

    invitation: Invitation
    created: bool  # made (or made again after a revocation) by this call

    @property
    def url(self) -> str:
        return url(self.invitation.token)

    @property
    def short_url(self) -> str:
        return short_url(self.invitation.token)

    @property
    def expires_at(self) -> datetime:
        return expires_at(self.invitation)


def _existing(dossier_id: int) -> Invitation | None:
    return db.session.scalar(select(Invitation).where(Invitation.dossier_id == dossier_id))


def issue(dossier: Dossier) -> Link:
    """The dossier's invitation, made if it has none (the caller commits).

    Idempotent: the same dossier gives the same invitation (``created`` False). A revoked
    one gets a new token, a fresh expiry and ``revoked_at`` cleared (``created`` True). Two
    callers racing for one dossier meet on the unique ``dossier_id``: the loser reads the
    winner's invitation.
    """
    now = datetime.now(UTC)
    found = _existing(dossier.id)
    if found is not None and found.revoked_at is None:
        return Link(found, created=False)
    start = _aware(dossier.returned_at) if dossier.returned_at else now
    if found is not None:  # revoked: a new link for the same dossier
        found.token, found.revoked_at, found.created_at = new_token(), None, now
        found.expires_at = start + _days()
        db.session.flush()
        return Link(found, created=True)
    for _attempt in range(5):
        invitation = Invitation(
            dossier_id=dossier.id, token=new_token(), created_at=now, expires_at=start + _days()
        )
        try:
            with db.session.begin_nested():
                db.session.add(invitation)
        except IntegrityError:
            raced = _existing(dossier.id)
            if raced is not None:
                return Link(raced, created=False)
            continue  # a token already taken (about one chance in 2**58): draw again
        invitation.dossier = dossier
        return Link(invitation, created=True)
    raise RuntimeError("could not draw an unused invitation token")


def revoke(invitation: Invitation) -> None:
    """Stop the link at once (the caller commits); revoking twice changes nothing."""
    if invitation.revoked_at is None:
        invitation.revoked_at = datetime.now(UTC)


def by_code(code: str) -> Dossier | None:
    return db.session.scalar(select(Dossier).where(Dossier.code == normalise_code(code)))


@dataclass(frozen=True)
class Found:
    """What a token opens: its state and, unless unknown, the invitation."""

    state: State
    invitation: Invitation | None = None


def lookup(token: str) -> Found:
    """The state of the invitation ``token`` names (``unknown`` for a malformed token)."""
    if not well_formed(token):
        return Found("unknown")
    invitation = db.session.scalar(
        select(Invitation).options(joinedload(Invitation.dossier)).where(Invitation.token == token)
    )
    if invitation is None:
        return Found("unknown")
    return Found(state_of(invitation), invitation)


def state_of(invitation: Invitation, now: datetime | None = None) -> State:
    if invitation.used_at is not None:
        return "used"
    if invitation.revoked_at is not None:
        return "revoked"
    if (now or datetime.now(UTC)) >= expires_at(invitation):
        return "expired"
    return "ok"


# --- the form an invitation opens -----------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What the invitation's form shows and stores: the receiving unit's form data
    (``info``, the shape the counter's form uses), the dossier's counter, procedure,
    channel and day of receipt."""

    info: org.CounterInfo
    verified: responses.Verified
    code: str
    procedure_name: str
    channel: str | None
    received_on: date
    counter_name: str


def context(invitation: Invitation) -> Context:
    """The form context of an invitation's dossier. The response belongs to the unit where
    the citizen was served — the receiving unit (and its counter, when the dossier names
    one) — not the resolving agency (Nghị định 118/2025/NĐ-CP)."""
    dossier = invitation.dossier
    unit = db.session.get_one(Unit, dossier.receiving_unit_id)
    counter = db.session.get(Counter, dossier.receiving_counter_id or 0)
    procedure = db.session.get(Procedure, dossier.procedure_id or 0)
    proc_info = (
        org.ProcedureInfo(procedure.id, procedure.code, procedure.name, procedure.target_group)
        if procedure
        else None
    )
    info = org.CounterInfo(
        counter.id if counter else 0,
        counter.code if counter else "",
        counter.name if counter else "",
        unit.id,
        unit.code,
        unit.name,
        unit.place_name,
        unit.questionnaire_id,
        unit.target_group,
        unit.form_start,
        procedures=(),
    )
    return Context(
        info=info,
        verified=responses.Verified(dossier.id, counter.id if counter else None, proc_info),
        code=dossier.code,
        procedure_name=procedure.name if procedure else dossier.procedure_code,
        channel=dossier.channel,
        received_on=local_day(_aware(dossier.received_at)),
        counter_name=counter.name if counter else "",
    )


def submit(ctx: Context, q: forms.Questionnaire, sub: responses.Submission) -> int:
    """Store the dossier's rating (one transaction, the invitation marked used); raises
    :class:`.responses.AlreadyRated` when it has one, and the submission's errors."""
    verified_sub = responses.Submission(
        answers=sub.answers,
        channel=ctx.channel,
        comment=sub.comment,
        source=SOURCE,
        submitted_at=sub.submitted_at,
    )
    stored = responses.submit(ctx.info, q, verified_sub, ctx.verified)
    return stored.response_id


# --- "Tôi có mã hồ sơ" on a counter's form ---------------------------------------------------


def find_for_counter(code: str, counter: org.CounterInfo) -> Link | None:
    """The live invitation (made if needed; the caller commits) of the dossier ``code`` when
    it was received in the counter's unit subtree and has no response yet; ``None`` for
    anything else — unknown, answered, revoked, expired, another unit — alike."""
    if not code.strip() or len(code) > 80:
        return None
    dossier = by_code(code)
    if dossier is None or dossier.receiving_unit_id not in org.subtree_ids([counter.unit_id]):
        return None
    existing = _existing(dossier.id)
    if existing is not None and existing.revoked_at is not None:
        return None  # stopped on purpose: only the API or the office issues it again
    link = issue(dossier)
    if state_of(link.invitation) != "ok":
        return None
    return link


# --- in bulk: ``sipas invitations`` ----------------------------------------------------------


@dataclass(frozen=True)
class Row:
    dossier_code: str
    url: str
    short_url: str
    expires_at: datetime


def _returned(query, unit_ids: Iterable[int] | None, first: date | None, last: date | None):  # type: ignore[no-untyped-def]
    query = query.where(Dossier.returned_day.is_not(None))
    if unit_ids is not None:
        query = query.where(Dossier.receiving_unit_id.in_(list(unit_ids)))
    if first is not None:
        query = query.where(Dossier.returned_day >= first)
    if last is not None:
        query = query.where(Dossier.returned_day <= last)
    return query


def bulk(
    unit_ids: Iterable[int] | None, first: date | None, last: date | None
) -> tuple[list[Row], int, int]:
    """The live invitations of the dossiers returned on local days ``first``–``last`` (both
    inclusive, either open) and received in ``unit_ids`` (``None``: everywhere), made where
    missing (committed), by day and code: rows to send, how many were made, how many were
    left out (already rated, revoked or expired: nothing to send)."""
    units = list(unit_ids) if unit_ids is not None else None
    dossiers = list(
        db.session.scalars(
            _returned(select(Dossier), units, first, last).order_by(
                Dossier.returned_day, Dossier.code
            )
        )
    )
    have = {
        inv.dossier_id: inv
        for inv in db.session.scalars(
            _returned(select(Invitation).join(Dossier), units, first, last)
        )
    }
    now = datetime.now(UTC)
    missing = [d for d in dossiers if d.id not in have]
    taken = set(db.session.scalars(select(Invitation.token))) if missing else set()
    for dossier in missing:
        token = new_token()
        while token in taken:
            token = new_token()
        taken.add(token)
        start = _aware(dossier.returned_at) if dossier.returned_at else now
        invitation = Invitation(
            dossier_id=dossier.id, token=token, created_at=now, expires_at=start + _days()
        )
        invitation.dossier = dossier
        db.session.add(invitation)
        have[dossier.id] = invitation
    db.session.commit()
    rows: list[Row] = []
    for dossier in dossiers:
        invitation = have[dossier.id]
        if state_of(invitation, now) == "ok":
            token = invitation.token
            rows.append(Row(dossier.code, url(token), short_url(token), expires_at(invitation)))
    return rows, len(missing), len(dossiers) - len(rows)
