"""`sipas demo`'s dossiers, invitations and verified responses (issue 13, part 6).

One demo (the command's defaults: 3,000 responses) is built once for the module on SQLite
and read by most tests; the bulk writes are also run on PostgreSQL, and the same seed is run
twice into two databases to show it repeats exactly.
"""

from __future__ import annotations

import re
from collections import Counter as Tally
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Counter, Dossier, Invitation, Procedure, Response, Unit
from survey_app.services import demo
from survey_app.services.clock import VN_TZ, local_day
from survey_app.services.demo import dossiers as demo_dossiers
from survey_app.services.dossiers import rules

from .. import daystats_check
from ..conftest import make_app, migrated_sqlite

BASE58 = re.compile(r"[1-9A-HJ-NP-Za-km-z]{10}")


@pytest.fixture(scope="module")
def demo_app(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    url = migrated_sqlite(sqlite_template, tmp_path_factory.mktemp("demo") / "demo.sqlite")
    app = make_app(url)
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code == 0, result.output
        counts = demo.dossier_counts()
        assert counts["dossiers"] and counts["verified"]
        assert (
            f"Hồ sơ mẫu: {counts['dossiers']} (đang xử lý: {counts['open']}), lời mời đánh giá: "
            f"{counts['invitations']}, phản hồi đã xác thực: {counts['verified']}."
        ) in result.output
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def world(demo_app: Flask) -> dict[str, Any]:
    """Everything the tests compare, read once."""
    units = {u.id: u.code for u in db.session.scalars(select(Unit))}
    counters = {c.id: (units[c.unit_id], c.code) for c in db.session.scalars(select(Counter))}
    dossiers = list(db.session.scalars(select(Dossier)))
    invitations = {i.dossier_id: i for i in db.session.scalars(select(Invitation))}
    responses = list(db.session.scalars(select(Response)))
    return {
        "units": units,
        "counters": counters,
        "dossiers": dossiers,
        "by_id": {d.id: d for d in dossiers},
        "invitations": invitations,
        "responses": responses,
        "today": datetime.now(VN_TZ).date(),
    }


def test_dossiers_cover_the_120_days_with_national_codes(
    demo_app: Flask, world: dict[str, Any]
) -> None:
    today: date = world["today"]
    dossiers: list[Dossier] = world["dossiers"]
    assert len(dossiers) >= 3000  # citizens served at least the answers (3,000 responses)
    returned = sorted(d.returned_day for d in dossiers if d.returned_day)
    assert returned[0] <= today - timedelta(days=115) and returned[-1] >= today - timedelta(days=2)
    assert len(set(returned)) >= 95  # nearly every opening day of the 120 has returns
    received = [local_day(d.received_at) for d in dossiers]
    assert max(received) >= today - timedelta(days=2)
    pattern = demo_app.config["DOSSIER_CODE_PATTERN"]
    codes = [d.code for d in dossiers]
    assert len(set(codes)) == len(codes)
    for d, day in zip(dossiers, received, strict=True):
        assert rules.code_matches(d.code, pattern), d.code
        agency, yymmdd, _sequence = d.code.rsplit("-", 2)
        assert agency == demo_dossiers.AGENCY_CODES[world["units"][d.receiving_unit_id]]
        assert yymmdd == day.strftime("%y%m%d")


def test_dossiers_are_plausible(world: dict[str, Any]) -> None:
    units: dict[int, str] = world["units"]
    counters: dict[int, tuple[str, str]] = world["counters"]
    procedures = {u.code: {p.code for p in u.procedures} for u in db.session.scalars(select(Unit))}
    catalogue = {p.id: p.code for p in db.session.scalars(select(Procedure))}
    dossiers: list[Dossier] = world["dossiers"]
    outcomes = Tally(d.outcome for d in dossiers)
    channels = Tally(d.channel for d in dossiers)
    moved = 0
    for d in dossiers:
        receiving = units[d.receiving_unit_id]
        assert d.receiving_counter_id is not None
        assert counters[d.receiving_counter_id][0] == receiving
        assert d.procedure_code in procedures[receiving]
        assert d.procedure_id is not None and catalogue[d.procedure_id] == d.procedure_code
        local = d.received_at.astimezone(VN_TZ)
        minute = local.hour * 60 + local.minute
        assert 7 * 60 + 30 <= minute < 11 * 60 + 30 or 13 * 60 + 30 <= minute < 17 * 60
        assert local.weekday() != 6  # offices close on Sunday
        assert d.due_date >= local.date()
        if d.outcome == "dang_xu_ly":
            assert d.returned_at is None and d.returned_day is None
        else:
            assert d.returned_at is not None and d.returned_at >= d.received_at
            assert d.returned_day == local_day(d.returned_at)
        if d.resolving_unit_id != d.receiving_unit_id:
            moved += 1
            assert units[d.resolving_unit_id] == demo_dossiers.LAND_OFFICE
            assert d.procedure_code in demo_dossiers.LAND_PROCEDURES
    assert 0.04 <= moved / len(dossiers) <= 0.2  # some resolved by another agency (NĐ 118)
    assert outcomes["da_tra"] / len(dossiers) > 0.75
    assert outcomes["tu_choi"] and outcomes["rut"] and outcomes["dang_xu_ly"]
    assert 0.35 <= channels["truc_tiep"] / len(dossiers) <= 0.75
    assert channels["truc_tuyen_toan_trinh"] and channels["truc_tuyen_mot_phan"]
    assert 0 < channels["buu_chinh"] < channels["truc_tuyen_mot_phan"]
    assert 0 < sum(d.supplements > 0 for d in dossiers) < len(dossiers) / 3


def test_late_shares_differ_by_unit_and_most_late_ones_apologised(
    world: dict[str, Any],
) -> None:
    today: date = world["today"]
    timings: dict[str, Tally[str]] = defaultdict(Tally)
    late_with_letter = late = 0
    for d in world["dossiers"]:
        timing = rules.timing(d.due_date, d.returned_at, today)
        timings[world["units"][d.resolving_unit_id]][timing] += 1
        if timing == "late":
            late += 1
            late_with_letter += d.apology_sent
        else:
            assert not d.apology_sent
    share = {u: t["late"] / sum(t.values()) for u, t in timings.items()}
    assert share["MC.TTHCC"] < 0.06
    assert share["MC.VPDK"] > 0.15
    assert share["MC.VPDK"] - share["MC.TTHCC"] > 0.12
    assert all(t["early"] and t["on_time"] for t in timings.values())
    assert late_with_letter / late > 0.7
    # A dossier still open past its due date is late.
    assert any(
        d.returned_at is None and rules.timing(d.due_date, None, today) == "late"
        for d in world["dossiers"]
    )


def test_invitations_for_most_returned_dossiers(demo_app: Flask, world: dict[str, Any]) -> None:
    invitations: dict[int, Invitation] = world["invitations"]
    returned = [d for d in world["dossiers"] if d.returned_at is not None]
    assert sum(d.id in invitations for d in returned) / len(returned) > 0.85
    assert all(d.id not in invitations for d in world["dossiers"] if d.returned_at is None)
    tokens = [i.token for i in invitations.values()]
    assert len(set(tokens)) == len(tokens)
    assert all(BASE58.fullmatch(t) for t in tokens)
    days = timedelta(days=demo_app.config["INVITATION_DAYS"])
    for i in invitations.values():
        dossier: Dossier = world["by_id"][i.dossier_id]
        assert dossier.returned_at is not None
        assert i.created_at == dossier.returned_at and i.expires_at == dossier.returned_at + days
        assert i.revoked_at is None
    used = {i.dossier_id: i.used_at for i in invitations.values() if i.used_at}
    verified = {r.dossier_id: r.submitted_at for r in world["responses"] if r.dossier_id}
    assert used == verified  # each use of an invitation is its one verified response
    assert len(used) < len(invitations) / 2  # most invitations are not answered


def test_verified_responses_fit_their_dossiers(world: dict[str, Any]) -> None:
    responses: list[Response] = world["responses"]
    verified = [r for r in responses if r.dossier_id is not None]
    assert 0.2 * len(responses) < len(verified) < 0.8 * len(responses)
    assert len({r.dossier_id for r in verified}) == len(verified)
    for r in verified:
        d: Dossier = world["by_id"][r.dossier_id]
        assert r.unit_id == d.receiving_unit_id
        assert r.counter_id == d.receiving_counter_id
        assert r.procedure_id == d.procedure_id
        assert r.channel == d.channel
        assert d.returned_at is not None and d.returned_at <= r.submitted_at
        assert r.submitted_at - d.returned_at < timedelta(days=7)  # SMS answered within days
        if d.channel == "truc_tiep":  # rated at the desk, minutes after the result
            assert r.local_day == d.returned_day
        else:
            assert r.source == "qr"  # from the SMS link, not a kiosk
    assert {r.channel for r in verified} == set(demo_dossiers.CHANNELS)
    assert any(r.dossier_id is None for r in responses if r.procedure_id is not None)


def test_response_rates_differ_by_unit_and_channel(world: dict[str, Any]) -> None:
    returned: Tally[tuple[str, str]] = Tally()
    answered: Tally[tuple[str, str]] = Tally()
    rated = {r.dossier_id for r in world["responses"] if r.dossier_id}
    for d in world["dossiers"]:
        if d.returned_at is None:
            continue
        key = (world["units"][d.receiving_unit_id], "truc_tiep" if d.channel == "truc_tiep" else "")
        returned[key] += 1
        answered[key] += d.id in rated
    rate = {k: answered[k] / returned[k] for k in returned}
    direct = {u: r for (u, c), r in rate.items() if c}
    online = {u: r for (u, c), r in rate.items() if not c}
    assert all(0.2 <= r <= 0.7 for r in direct.values()), direct
    assert all(0.02 <= r <= 0.2 for r in online.values()), online
    assert min(direct.values()) > max(online.values())
    assert max(direct.values()) - min(direct.values()) > 0.12  # units differ
    assert direct["MC.AT.MC"] > direct["MC.VPDK"]


def test_served_outnumber_answers_but_at_the_stuffed_counter(world: dict[str, Any]) -> None:
    served: Tally[int] = Tally(
        d.receiving_counter_id for d in world["dossiers"] if d.returned_at is not None
    )
    answers: Tally[int | None] = Tally(r.counter_id for r in world["responses"])
    stuffed = demo_dossiers.STUFFED_COUNTER
    for counter_id, (unit, code) in world["counters"].items():
        if (unit, code) == stuffed:
            assert answers[counter_id] > 1.5 * served[counter_id]
        else:
            assert served[counter_id] > 1.2 * answers[counter_id], (unit, code)
    # Day by day, per unit: the citizens served outnumber the answers on most days.
    served_day: Tally[tuple[int, date]] = Tally(
        (d.receiving_unit_id, d.returned_day) for d in world["dossiers"] if d.returned_day
    )
    answers_day: Tally[tuple[int, date]] = Tally(
        (r.unit_id, r.local_day) for r in world["responses"]
    )
    bh = next(i for i, code in world["units"].items() if code == stuffed[0])
    others = [k for k in answers_day if k[0] != bh]
    assert sum(served_day[k] >= answers_day[k] for k in others) / len(others) > 0.8


def test_responses_keep_their_answers_and_day_statistics(world: dict[str, Any]) -> None:
    """The dossiers change no answer: the same seed without them gives the same answers, and
    the stored day blocks (channel included) equal a recount."""
    daystats_check.assert_stored_days_match_the_responses()
    assert len(world["responses"]) == 3000


def _snapshot() -> dict[str, Any]:
    return {
        "dossiers": [
            (
                d.id,
                d.code,
                d.procedure_code,
                d.receiving_counter_id,
                d.resolving_unit_id,
                d.channel,
                d.received_at,
                d.due_date,
                d.returned_at,
                d.outcome,
                d.supplements,
                d.apology_sent,
                d.fingerprint,
            )
            for d in db.session.scalars(select(Dossier).order_by(Dossier.id))
        ],
        "invitations": [
            (i.dossier_id, i.token, i.expires_at, i.used_at)
            for i in db.session.scalars(select(Invitation).order_by(Invitation.dossier_id))
        ],
        "responses": [
            (r.id, r.counter_id, r.channel, r.source, r.dossier_id, r.answers)
            for r in db.session.scalars(select(Response).order_by(Response.id))
        ],
    }


def _run(url: str, seed: int, now: datetime, with_dossiers: bool = True) -> dict[str, Any]:
    app = make_app(url)
    with app.app_context():
        demo.create_organisation()
        demo.generate_responses(600, seed, with_dossiers=with_dossiers, now=now)
        snapshot = _snapshot()
        db.session.remove()
        db.engine.dispose()
    return snapshot


def test_same_seed_same_data(sqlite_template: Path, tmp_path: Path) -> None:
    now = datetime(2026, 10, 8, 9, 30, tzinfo=UTC)
    first = _run(migrated_sqlite(sqlite_template, tmp_path / "a.sqlite"), 7, now)
    again = _run(migrated_sqlite(sqlite_template, tmp_path / "b.sqlite"), 7, now)
    other = _run(migrated_sqlite(sqlite_template, tmp_path / "c.sqlite"), 8, now)
    plain = _run(migrated_sqlite(sqlite_template, tmp_path / "d.sqlite"), 7, now, False)
    assert first["dossiers"] and first == again
    assert other["dossiers"] != first["dossiers"]
    assert other["invitations"] != first["invitations"]
    # The dossiers take their own random stream: the answers are those of the plain demo.
    assert [r[-1] for r in plain["responses"]] == [r[-1] for r in first["responses"]]
    assert not plain["dossiers"] and all(r[4] is None for r in plain["responses"])
    assert first["dossiers"][0][1].endswith(("-0001", "-0002", "-0003"))


def test_bulk_writes_on_both_databases(app: Flask) -> None:
    demo.create_organisation()
    demo.generate_responses(400, 5, with_dossiers=True)
    dossiers = {d.id: d for d in db.session.scalars(select(Dossier))}
    invitations = list(db.session.scalars(select(Invitation)))
    verified = [r for r in db.session.scalars(select(Response)) if r.dossier_id]
    assert dossiers and invitations and verified
    assert all(r.unit_id == dossiers[r.dossier_id].receiving_unit_id for r in verified)
    assert all(i.expires_at > i.created_at for i in invitations)
    assert all(d.received_at.tzinfo is not None for d in dossiers.values())
    daystats_check.assert_stored_days_match_the_responses()
    # The ids continue after the bulk write (PostgreSQL's sequence was moved on).
    late = Dossier(
        code="H99.01-261008-9999",
        procedure_code="2.000889",
        receiving_unit_id=next(iter(dossiers.values())).receiving_unit_id,
        resolving_unit_id=next(iter(dossiers.values())).receiving_unit_id,
        received_at=datetime(2026, 10, 8, 2, tzinfo=UTC),
        due_date=date(2026, 10, 9),
        outcome="dang_xu_ly",
        fingerprint="0" * 32,
    )
    db.session.add(late)
    db.session.commit()
    assert late.id == max(dossiers) + 1


def test_no_dossiers_for_a_large_plain_load(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["demo", "--responses", "200", "--no-dossiers"])
    assert result.exit_code == 0, result.output
    assert "Hồ sơ mẫu" not in result.output
    assert demo.dossier_counts() == {"dossiers": 0, "open": 0, "invitations": 0, "verified": 0}
    assert demo.response_count() == 200


def test_a_reimport_of_the_demo_dossiers_finds_them_unchanged(demo_app: Flask) -> None:
    """The demo fingerprints its dossiers with the ingest's function (one canonical form):
    the same values sent again — as the API or an exported file carries them — are all
    ``unchanged``; one changed value is an update."""
    from survey_app.services.dossiers.ingest import ingest

    units = {u.id: u.code for u in db.session.scalars(select(Unit))}
    counters = {c.id: c.code for c in db.session.scalars(select(Counter))}

    def iso(moment: datetime | None) -> str:
        return "" if moment is None else moment.astimezone(VN_TZ).isoformat()

    records = [
        (
            k,
            {
                "code": d.code.lower(),  # codes are normalised: the same dossier
                "procedure_code": d.procedure_code,
                "receiving_unit": units[d.receiving_unit_id],
                "receiving_counter": counters.get(d.receiving_counter_id or 0, ""),
                "resolving_unit": units[d.resolving_unit_id],
                "channel": d.channel or "",
                "received_at": iso(d.received_at),
                "due_date": d.due_date.isoformat(),
                "returned_at": iso(d.returned_at),
                "outcome": d.outcome,
                "supplements": str(d.supplements),
                "apology_sent": "có" if d.apology_sent else "không",
            },
        )
        for k, d in enumerate(db.session.scalars(select(Dossier).order_by(Dossier.id)), 1)
    ]
    assert len(records) > 100
    result = ingest(records, dry_run=True, preload=True)
    assert (result.created, result.updated, result.unchanged) == (0, 0, len(records))
    records[0][1]["supplements"] = str(int(records[0][1]["supplements"]) + 1)
    result = ingest(records, dry_run=True)
    assert (result.created, result.updated, result.unchanged) == (0, 1, len(records) - 1)
