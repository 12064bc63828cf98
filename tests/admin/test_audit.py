"""The audit log service: append-only, entries survive, read newest first in pages."""

from __future__ import annotations

import inspect

from flask import Flask
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import AuditEntry
from survey_app.services.org import audit

from ..factories import make_user


def test_record_adds_to_the_callers_transaction(app: Flask) -> None:
    actor = make_user("quan.tri", "admin")
    entry = audit.record(actor, "counter.add", "counter", 7, None, {"name": "Quầy Một"})
    assert entry in db.session.new  # not committed by the service
    db.session.rollback()
    assert db.session.scalars(select(AuditEntry)).all() == []


def test_entries_survive_and_keep_their_values(app: Flask) -> None:
    actor = make_user("quan.tri", "admin")
    audit.record(actor, "token.rotate", "counter", 3, {"token": "abcdef"}, {"token": "ghijkl"})
    db.session.commit()
    db.session.expunge_all()
    entry = db.session.scalars(select(AuditEntry)).one()
    assert (entry.actor.username, entry.action, entry.target_type, entry.target_id) == (
        "quan.tri",
        "token.rotate",
        "counter",
        "3",
    )
    assert entry.before == {"token": "abcdef"} and entry.after == {"token": "ghijkl"}
    assert entry.at.tzinfo is not None


def test_the_service_offers_no_way_to_change_or_delete() -> None:
    public = {
        name
        for name, obj in inspect.getmembers(audit, inspect.isfunction)
        if obj.__module__ == audit.__name__ and not name.startswith("_")
    }
    labels = {"action_label", "key_label", "target_label", "value_label"}  # read-only words
    assert public == {"record", "page", "token_prefix", *labels}
    for word in ("update", "delete", "edit", "remove", "purge", "clear"):
        assert not any(word in name for name in dir(audit)), word
    source = inspect.getsource(audit)
    assert "delete(" not in source and "update(" not in source


def test_page_is_newest_first_and_fifty_long(app: Flask) -> None:
    actor = make_user("quan.tri", "admin")
    for i in range(audit.PAGE_SIZE + 3):
        audit.record(actor, "counter.add", "counter", i, None, None)
    db.session.commit()
    first, second = audit.page(1), audit.page(2)
    assert (first.pages, first.total) == (2, audit.PAGE_SIZE + 3)
    assert len(first.entries) == audit.PAGE_SIZE and len(second.entries) == 3
    assert first.entries[0].target_id == str(audit.PAGE_SIZE + 2)
    assert second.entries[-1].target_id == "0"
    assert audit.page(99).number == 2 and audit.page(0).number == 1
