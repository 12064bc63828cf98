"""The audit log in plain words: every action the code records has a label (translated), and
the log page shows the labels, not the keys."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from flask_babel import force_locale

from survey_app.extensions import db
from survey_app.services.org import audit

from ..factories import login, make_user

SOURCES = Path(__file__).parents[2] / "survey_app"
RECORDED = re.compile(r"""record\(\s*[^,()]+,\s*["']([a-z_]+\.[a-z_]+)["']""")


def _recorded_actions() -> set[str]:
    found: set[str] = set()
    for path in SOURCES.rglob("*.py"):
        found |= set(RECORDED.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_recorded_action_has_a_label() -> None:
    actions = _recorded_actions()
    assert "responses.import" in actions and "account.reset_password" in actions
    assert actions <= set(audit.ACTIONS), actions - set(audit.ACTIONS)


@pytest.mark.parametrize(
    ("locale", "label"), [("vi", "Nhập tệp phản hồi"), ("en", "Response file import")]
)
def test_labels_are_translated(app: Flask, locale: str, label: str) -> None:
    with force_locale(locale):
        assert audit.action_label("responses.import") == label
        assert audit.action_label("something.new") == "something.new"


def test_the_log_page_speaks_plain_words(app: Flask, client: FlaskClient) -> None:
    admin = make_user("quan.tri", "admin")
    audit.record(
        admin,
        "responses.import",
        "file",
        "phieu-giay.csv",
        None,
        {"added": 3, "skipped": 1, "units": {"U1": 3}, "sources": {"paper": 3}},
    )
    db.session.commit()
    assert login(client, "quan.tri").status_code == 303
    g.pop("_login_user", None)
    html = client.get("/quan-tri/nhat-ky").get_data(as_text=True)
    assert "Nhập tệp phản hồi" in html and "responses.import" not in html
    assert "đã có, bỏ qua: 1" in html and "nguồn: paper 3" in html and "U1 3" in html
    assert "phieu-giay.csv" in html
    for key in ("skipped:", "sources:", "added:"):
        assert key not in html
