"""The demo province's dossiers (hồ sơ), their invitations and its verified responses
(issue 13), drawn with numpy from the demo's responses before those are stored.

How the numbers are made (docs/method.md §12 says what they mean):

- A share of each counter's responses that name a procedure (``Profile.verified``) came
  through a dossier: each gets a dossier received at that counter for that procedure, and
  the response is stored with its ``dossier_id`` (verified) and the dossier's channel.  A
  direct (``truc_tiep``) dossier was returned at the counter minutes before its rating; an
  online or postal one a few days before, its invitation sent by SMS.
- The other dossiers returned in the 120 days are added per counter and channel so that
  the share answered is the unit's response rate for that channel (``Profile.rates``:
  30–60 % at the desk, 5–15 % online and by post), plus the dossiers still open today.
- Timing (late, early, on time) follows the *resolving* unit's shares (``Profile.late``,
  ``Profile.early``); a rating with a low "D. Kết quả" answer is more often behind a late
  dossier.  About one dossier in fourteen is resolved by another agency (Nghị định
  118/2025/NĐ-CP): land dossiers received at the ward and the commune are mostly resolved
  by the land registration office.
- Counter Q2 of the ward (``STUFFED_COUNTER``) serves fewer citizens than it gets open QR
  ratings: the pattern the coverage figures are meant to catch.

Everything comes from the demo's seed (its own stream, so the responses stay what they
were); nothing reads the clock but the ``now`` given.  Rows are written in bulk on the
DB-API connection (``executemany`` on SQLite, ``COPY`` on PostgreSQL), never ORM objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import text

import forms
from survey_app.extensions import db
from survey_app.models import Counter
from survey_app.models.dossiers import CHANNELS
from survey_app.services.demo import dossier_rows

DIRECT, ONLINE_FULL, ONLINE_PART, POST = range(4)  # positions in CHANNELS
assert CHANNELS[DIRECT] == "truc_tiep" and CHANNELS[POST] == "buu_chinh"

# The demo agencies' codes, as a provincial one-stop system would put them in a dossier code.
AGENCY_CODES = {
    "MC.TTHCC": "H99.01",
    "MC.VPDK": "H99.26.10",
    "MC.BH.MC": "H99.50.05.13",
    "MC.AT.MC": "H99.50.07.21",
}
# The counter with more open QR ratings than citizens served (unit code, counter code).
STUFFED_COUNTER = ("MC.BH.MC", "Q2")
LAND_OFFICE = "MC.VPDK"
LAND_PROCEDURES = ("1.004227", "1.003010")
# Working days a procedure may take (thời hạn giải quyết), for the due dates.
PROCESSING_DAYS = {
    "2.000889": 1,
    "1.001193": 3,
    "2.000815": 1,
    "2.001612": 3,
    "1.004227": 20,
    "1.003010": 10,
    "1.009972": 15,
    "1.009645": 35,
    "2.001827": 15,
}
WEEK = "1111110"  # the demo's offices open Monday to Saturday (Sunday responses move to Saturday)
OPEN_MINUTES = np.r_[7 * 60 + 30 : 11 * 60 + 30, 13 * 60 + 30 : 17 * 60]  # after local midnight
INVITED = 0.88  # share of the unanswered returned dossiers that got an invitation
APOLOGY = 0.85  # share of the late dossiers with an apology letter (thư xin lỗi)
_EPOCH = date(1970, 1, 1).toordinal()
_VN = np.timedelta64(7, "h")


@dataclass(frozen=True)
class Profile:
    """A demo unit's dossiers: ``late``/``early`` shares where it resolves them; response
    ``rates`` per channel (in ``CHANNELS`` order) and the mix of online/postal channels
    (full online, part online, post) among its answered dossiers where it receives them;
    ``verified``, the share of its responses naming a procedure that came through a dossier."""

    late: float
    early: float
    rates: tuple[float, float, float, float]
    online_mix: tuple[float, float, float]
    verified: float


PROFILES = {
    "MC.TTHCC": Profile(0.02, 0.55, (0.55, 0.12, 0.14, 0.08), (0.55, 0.35, 0.10), 0.80),
    "MC.VPDK": Profile(0.25, 0.12, (0.32, 0.06, 0.07, 0.05), (0.30, 0.60, 0.10), 0.75),
    "MC.BH.MC": Profile(0.06, 0.40, (0.45, 0.10, 0.12, 0.06), (0.45, 0.45, 0.10), 0.80),
    "MC.AT.MC": Profile(0.10, 0.30, (0.60, 0.13, 0.15, 0.10), (0.30, 0.50, 0.20), 0.85),
}
STUFFED_VERIFIED = 0.12


@dataclass
class Made:
    """What :func:`make` added: per response, its dossier id (0 none) and channel index."""

    dossiers: int
    invitations: int
    response_dossier: NDArray[np.int64]
    response_channel: NDArray[np.int64]
    response_kiosk: NDArray[np.bool_]


def make(
    columns: dict[str, NDArray[Any]],
    counters: list[Counter],
    seed: int,
    now: datetime,
    days: int,
    invitation_days: int,
) -> Made:
    """Write the dossiers and invitations that fit the synthetic responses ``columns`` (as
    drawn by the demo: counter positions, local day ordinals, minutes, procedure positions,
    online flags, answers) and say which responses are verified.  In the caller's
    transaction; the responses are stored after, by the caller."""
    rng = np.random.default_rng([seed, 13])
    world = World(counters)
    today = now.date().toordinal()
    now_minute = now.hour * 60 + now.minute
    which = columns["counter"]
    n = len(which)

    # 1. The responses that came through a dossier, and their dossiers' channels.
    verified_share = world.verified[which]
    answered = (columns["procedure"] >= 0) & (rng.random(n) < verified_share)
    channel = np.where(columns["online"], ONLINE_PART, DIRECT).astype(np.int64)
    mix = world.online_mix[which]  # (n, 3)
    drawn = 1 + (rng.random(n)[:, None] > np.cumsum(mix, axis=1)).sum(axis=1)
    channel = np.where(answered & columns["online"], np.minimum(drawn, POST), channel)
    a = np.flatnonzero(answered)
    a_counter = which[a]
    a_channel = channel[a]
    a_day = columns["day"][a].astype(np.int64)
    a_minute = columns["minute"][a].astype(np.int64)
    back = rng.choice(np.arange(5), size=a.size, p=[0.35, 0.3, 0.2, 0.1, 0.05])
    back[a_channel == DIRECT] = 0
    r_day = _busday(a_day - back, 0)
    same = r_day == a_day
    r_minute = np.where(  # at the desk: the result handed over minutes before the rating
        same,
        np.maximum(OPEN_MINUTES[0], a_minute - rng.integers(1, 41, a.size)),
        rng.choice(OPEN_MINUTES, a.size),
    )
    low_result = _low_result(columns["answers"][a])

    # 2. The dossiers returned in the window nobody rated: the unit's response rate per channel.
    window = np.arange(today - days + 1, today + 1)
    window = window[(window - 1) % 7 != 6]  # Sundays closed
    counts = np.zeros((len(counters), len(CHANNELS)), dtype=np.int64)
    np.add.at(counts, (a_counter, a_channel), 1)
    unrated = rng.poisson(counts * (1 / world.rates - 1))
    u_counter = np.repeat(np.arange(len(counters)), unrated.sum(axis=1))
    u_channel = np.concatenate([np.repeat(np.arange(len(CHANNELS)), row) for row in unrated])
    u_day = rng.choice(window, u_counter.size)
    u_minute = rng.choice(OPEN_MINUTES, u_counter.size)
    late_today = (u_day == today) & (u_minute > now_minute)
    u_day = np.where(late_today, _busday(u_day - 1, 0), u_day)
    u_proc = (rng.random(u_counter.size) * world.n_procs[u_counter]).astype(np.int64)

    # 3. Returned dossiers: answered ones first, then the others.
    d_counter = np.concatenate([a_counter, u_counter])
    d_channel = np.concatenate([a_channel, u_channel])
    d_proc = np.concatenate([columns["procedure"][a].astype(np.int64), u_proc])
    d_returned = np.concatenate([r_day, u_day])
    d_returned_minute = np.concatenate([r_minute, u_minute])
    d_low = np.concatenate([low_result, np.zeros(u_counter.size, dtype=bool)])
    m = d_counter.size
    allowed = world.allowed[d_counter, d_proc]
    resolving = world.resolver(rng, d_counter, d_proc)
    late_p = np.where(d_low, np.minimum(0.8, 4 * world.late[resolving]), world.late[resolving])
    u = rng.random(m)
    late = u < late_p
    early = ~late & (u < late_p + world.early[resolving])
    shift = np.where(
        late,
        -rng.choice(np.arange(1, 7), m, p=[0.35, 0.25, 0.15, 0.1, 0.1, 0.05]),
        np.where(early, 1 + (rng.random(m) * np.minimum(allowed, 4)).astype(np.int64), 0),
    )
    due = _busday(d_returned, shift)
    received = _busday(due, -allowed)
    rec_minute = rng.choice(OPEN_MINUTES, m)
    same_day = received == d_returned
    # Received the same day: at an opening minute before the return (or at opening time).
    before = np.searchsorted(OPEN_MINUTES, d_returned_minute - 5, side="right")
    earlier = OPEN_MINUTES[(rng.random(m) * np.maximum(before, 1)).astype(np.int64)]
    rec_minute = np.where(same_day, np.minimum(earlier, d_returned_minute), rec_minute)
    outcome = rng.choice(np.array(["da_tra", "tu_choi", "rut"]), m, p=[0.95, 0.03, 0.02])

    # 4. Dossiers still open today: received within their time limit, some already past due.
    per_day = np.bincount(d_counter, minlength=len(counters)) / max(len(window), 1)
    o_counter_l, o_proc_l = [], []
    for c in range(len(counters)):
        for p in range(world.n_procs[c]):
            k = rng.poisson(per_day[c] / world.n_procs[c] * world.allowed[c, p])
            o_counter_l.append(np.full(k, c))
            o_proc_l.append(np.full(k, p))
    o_counter = np.concatenate([*o_counter_l, np.zeros(0, np.int64)]).astype(np.int64)
    o_proc = np.concatenate([*o_proc_l, np.zeros(0, np.int64)]).astype(np.int64)
    o = o_counter.size
    o_allowed = world.allowed[o_counter, o_proc]
    o_resolving = world.resolver(rng, o_counter, o_proc)
    o_late = rng.random(o) < world.late[o_resolving]
    o_due = np.where(
        o_late,
        _busday(np.full(o, today), -rng.integers(1, 6, o)),
        _busday(np.full(o, today), (rng.random(o) * o_allowed).astype(np.int64)),
    )
    o_received = _busday(o_due, -o_allowed)
    o_minute = rng.choice(OPEN_MINUTES, o)
    too_soon = (o_received == today) & (o_minute > now_minute)
    o_received = np.where(too_soon, _busday(o_received - 1, 0), o_received)
    shares = counts + unrated + 1
    cumulative = np.cumsum(shares / shares.sum(axis=1, keepdims=True), axis=1)
    o_channel = np.minimum((rng.random(o)[:, None] > cumulative[o_counter]).sum(axis=1), POST)

    # 5. All dossiers, in the order they were received (ids and codes follow it).
    counter_all = np.concatenate([d_counter, o_counter])
    proc_all = np.concatenate([d_proc, o_proc])
    resolving_all = np.concatenate([resolving, o_resolving])
    channel_all = np.concatenate([d_channel, o_channel])
    received_day = np.concatenate([received, o_received])
    received_minute = np.concatenate([rec_minute, o_minute])
    due_all = np.concatenate([due, o_due])
    is_open = np.concatenate([np.zeros(m, dtype=bool), np.ones(o, dtype=bool)])
    returned_day = np.concatenate([d_returned, np.zeros(o, np.int64)])
    returned_minute = np.concatenate([d_returned_minute, np.zeros(o, np.int64)])
    outcome_all = np.concatenate([outcome, np.full(o, "dang_xu_ly")])
    late_all = np.concatenate([late, o_late])
    supplements = np.where(
        late_all,
        rng.choice(np.arange(3), m + o, p=[0.55, 0.35, 0.10]),
        rng.choice(np.arange(3), m + o, p=[0.90, 0.08, 0.02]),
    )
    apology = late_all & (rng.random(m + o) < APOLOGY)
    agency = world.agency[counter_all]
    order = np.lexsort((np.arange(m + o), received_minute, received_day, agency))
    sequence = np.empty(m + o, dtype=np.int64)
    group_start = np.r_[
        0,
        np.flatnonzero((np.diff(agency[order]) != 0) | (np.diff(received_day[order]) != 0)) + 1,
    ]
    ranks = np.arange(m + o) - np.repeat(group_start, np.diff(np.r_[group_start, m + o]))
    sequence[order] = ranks + 1
    by_time = np.lexsort((np.arange(m + o), received_minute, received_day))
    first_id = int(db.session.scalar(text("SELECT coalesce(max(id), 0) FROM dossiers")) or 0) + 1
    ids = np.empty(m + o, dtype=np.int64)
    ids[by_time] = first_id + np.arange(m + o)

    received_at = _moments(received_day, received_minute)
    returned_at = _moments(returned_day, returned_minute)
    returned_at[is_open] = np.datetime64("NaT")
    returned_day = np.where(is_open, 0, returned_day)
    rows = dossier_rows.dossier_rows(
        world,
        ids=ids,
        agency=agency,
        sequence=sequence,
        counter=counter_all,
        proc=proc_all,
        resolving=resolving_all,
        channel=channel_all,
        received_day=received_day,
        received_at=received_at,
        due=due_all,
        returned_at=returned_at,
        returned_day=returned_day,
        outcome=outcome_all,
        supplements=supplements,
        apology=apology,
    )
    conn = db.session.connection()
    dossier_rows.insert(conn, "dossiers", dossier_rows.DOSSIER_COLUMNS, rows)
    if conn.dialect.name == "postgresql":
        conn.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('dossiers', 'id'), "
                "(SELECT max(id) FROM dossiers))"
            )
        )

    # 6. Invitations: every answered dossier's (used by its rating), most other returned ones'.
    invited = np.r_[np.ones(a.size, dtype=bool), rng.random(m - a.size) < INVITED]
    inv = np.flatnonzero(invited)
    used = np.full(inv.size, np.datetime64("NaT"), dtype="datetime64[s]")
    used[: a.size] = _moments(a_day, a_minute)
    created = returned_at[inv]
    expires = created + np.timedelta64(invitation_days, "D")
    dossier_rows.insert(
        conn,
        "invitations",
        dossier_rows.INVITATION_COLUMNS,
        [
            ids[inv].tolist(),
            dossier_rows.tokens(rng, inv.size),
            dossier_rows.texts(created, conn),
            dossier_rows.texts(expires, conn),
            [None] * inv.size,
            dossier_rows.texts(used, conn),
        ],
    )

    response_dossier = np.zeros(n, dtype=np.int64)
    response_dossier[a] = ids[: a.size]
    kiosk = columns["kiosk"] & ~(answered & (channel != DIRECT))  # an SMS link is no kiosk
    return Made(m + o, inv.size, response_dossier, channel, kiosk)


class World:
    """The demo organisation as arrays indexed by counter position (and procedure position)."""

    def __init__(self, counters: list[Counter]) -> None:
        self.counters = counters
        units = sorted({c.unit.code for c in counters})
        self.unit_codes = units
        self.unit_ids = np.array(
            [next(c.unit.id for c in counters if c.unit.code == u) for u in units], np.int64
        )
        self.unit_of = np.array([units.index(c.unit.code) for c in counters], np.int64)
        profiles = [PROFILES[u] for u in units]
        self.late = np.array([p.late for p in profiles])
        self.early = np.array([p.early for p in profiles])
        self.rates = np.array([profiles[u].rates for u in self.unit_of])
        self.online_mix = np.array([profiles[u].online_mix for u in self.unit_of])
        self.verified = np.array(
            [
                STUFFED_VERIFIED
                if (c.unit.code, c.code) == STUFFED_COUNTER
                else profiles[self.unit_of[k]].verified
                for k, c in enumerate(counters)
            ]
        )
        self.agency = self.unit_of.copy()
        self.n_procs = np.array([len(c.unit.procedures) for c in counters], np.int64)
        width = max(int(self.n_procs.max(initial=0)), 1)
        self.allowed = np.ones((len(counters), width), np.int64)
        self.proc_codes = [[p.code for p in c.unit.procedures] for c in counters]
        self.proc_ids = [[p.id for p in c.unit.procedures] for c in counters]
        self.land = np.zeros((len(counters), width), dtype=bool)
        for k, c in enumerate(counters):
            for j, p in enumerate(c.unit.procedures):
                self.allowed[k, j] = PROCESSING_DAYS.get(p.code, 5)
                self.land[k, j] = p.code in LAND_PROCEDURES
        self.land_office = units.index(LAND_OFFICE) if LAND_OFFICE in units else -1
        self.agency_codes = [AGENCY_CODES.get(u, u.replace(".", "")) for u in units]

    def resolver(
        self, rng: np.random.Generator, counter: NDArray[np.int64], proc: NDArray[np.int64]
    ) -> NDArray[np.int64]:
        """The resolving unit (position) of each dossier: the receiving unit, but land
        dossiers received elsewhere mostly go to the land registration office."""
        unit = self.unit_of[counter]
        if self.land_office < 0:
            return unit
        moved = self.land[counter, proc] & (unit != self.land_office)
        moved &= rng.random(counter.size) < 0.7
        return np.where(moved, self.land_office, unit)


def _busday(day: NDArray[np.int64], offset: NDArray[np.int64] | int) -> NDArray[np.int64]:
    """Day ordinals moved by ``offset`` opening days (Monday–Saturday); a Sunday first rolls
    back to its Saturday."""
    dates = (np.asarray(day, dtype=np.int64) - _EPOCH).astype("datetime64[D]")
    moved = np.busday_offset(dates, offset, roll="backward", weekmask=WEEK)
    return moved.astype(np.int64) + _EPOCH  # type: ignore[no-any-return]


def _moments(day: NDArray[np.int64], minute: NDArray[np.int64]) -> NDArray[np.datetime64]:
    """UTC moments of local ``day`` ordinals at ``minute`` after local midnight."""
    local = (np.asarray(day, np.int64) - _EPOCH).astype("datetime64[D]").astype("datetime64[s]")
    return local + np.asarray(minute, np.int64).astype("timedelta64[m]") - _VN  # type: ignore[no-any-return]


def _low_result(answers: NDArray[np.int8]) -> NDArray[np.bool_]:
    """Responses that rated an item of "D. Kết quả" 1 or 2."""
    codes = forms.all_item_codes()
    d = [j for j, code in enumerate(codes) if code.startswith("D")]
    part = answers[:, d]
    low: NDArray[np.bool_] = np.asarray(((part > 0) & (part <= 2)).any(axis=1))
    return low
