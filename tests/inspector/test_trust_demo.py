"""The demo's stuffed counter (MC.BH.MC Q2: more open ratings than citizens served, issue 13's
demo) is what the trust page puts first."""

from __future__ import annotations

import time
from collections import Counter

from flask import Flask
from flask.testing import FlaskClient

from survey_app.extensions import db
from survey_app.models import Unit
from survey_app.services.analytics import trust
from survey_app.services.analytics.office import parse_filters
from survey_app.services.demo.dossiers import STUFFED_COUNTER

from ..factories import login_as, make_user


def _unit(code: str) -> Unit:
    return db.session.query(Unit).filter_by(code=code).one()


def test_the_demo_s_stuffed_counter_is_suspicious(app: Flask, client: FlaskClient) -> None:
    result = app.test_cli_runner().invoke(args=["demo", "--responses", "3000", "--seed", "7"])
    assert result.exit_code == 0, result.output
    admin = make_user("quan.tri.demo", "admin", None)
    started = time.perf_counter()
    rows = trust.counter_days(admin, parse_filters({}))
    elapsed = time.perf_counter() - started
    stuffed = [r for r in rows if (r.unit_code, r.counter_code) == STUFFED_COUNTER]
    assert stuffed, "the stuffed counter has counter-days in the current quarter"
    flagged = [r for r in stuffed if "ratio" in r.reasons]
    # Most of its days have more open responses than dossiers returned at it.
    assert len(flagged) > len(stuffed) / 2
    # … far more than any other counter's.
    per_counter = Counter((r.unit_code, r.counter_code) for r in rows if "ratio" in r.reasons)
    assert per_counter.most_common(1)[0] == (STUFFED_COUNTER, len(flagged))
    assert all(n <= len(flagged) / 3 for c, n in per_counter.items() if c != STUFFED_COUNTER)
    # Saturdays are opening days in the demo: no honest counter is flagged for its hours.
    hours = {(r.unit_code, r.counter_code) for r in rows if "hours" in r.reasons}
    assert hours <= {STUFFED_COUNTER}, hours
    # Suspicious counter-days come first on the page.
    order = [r.suspicious for r in rows]
    assert order == sorted(order, reverse=True)
    assert elapsed < 30
    # The page as the demo's inspector would see it: the counter's cards are flagged.
    login_as(client, "inspector", _unit("MC"), "tt.demo")
    page = client.get("/thanh-tra/tin-cay").get_data(as_text=True)
    assert 'class="trust-row flagged" data-counter-day="MC.BH.MC/Q2/' in page
