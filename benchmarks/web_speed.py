"""Staff home and office overview with 1,000,000 responses in the database.

Set-up: a SQLite database built with the real commands, ``sipas init`` and
``sipas demo --responses 1000000`` (wall clock of the demo command printed), or reused with
``--reuse DIR`` (``DIR/sipas.sqlite``, built there first when missing and kept afterwards).
The demo accounts get a benchmark password (their random ones were printed only once).

Timed: requests through the real WSGI application in this process (Flask's test client: the
whole request — routing, session cookie, login check, services, templates, security
headers — without a network socket), each after signing in through the real login form:

- ``GET /nhan-vien`` as ``demo.staff`` and as ``demo.unithead`` (the day's indices, weakest
  items, comments and low ratings of today's responses);
- ``GET /nhan-vien/xu-huong.svg`` as ``demo.staff`` (the 30-day trend chart the page loads);
- ``GET /van-phong`` as ``demo.office`` (default period: this quarter against the last), and
  filtered (``?hinh_thuc=truc_tiep&nhom=chung``, and by procedure).

Each is requested once to warm up (the first request after a load stores the statistics
of closed days and half-months that are missing), then ``--requests`` times (default 30);
median and p90 are printed.

    .venv/bin/python benchmarks/web_speed.py [--responses 1000000] [--requests 30]
                                             [--reuse DIR]

Exits 1 when the median of the staff home or of the office overview (default period) is
above 150 ms.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import _bench

TARGET_MS = 150.0
PASSWORD = "benchmark password 2026"  # noqa: S105 - a throw-away benchmark database


def build(folder: Path, responses: int) -> float | None:
    """``sipas init`` + ``sipas demo``; returns the demo's wall clock (None when reused)."""
    db_path = folder / "sipas.sqlite"
    if db_path.exists():
        return None
    env = _bench.sipas_env(db_path)
    _bench.run_sipas(["init"], env)
    began = time.perf_counter()
    _bench.run_sipas(["demo", "--responses", str(responses)], env, timeout=1800)
    return time.perf_counter() - began


def make_app(db_path: Path) -> Any:
    sys.path.insert(0, str(_bench.ROOT))
    from survey_app import create_app

    return create_app(
        {
            "DATABASE_URL": f"sqlite:///{db_path}",
            "SECRET_KEY": "benchmark-secret-key",
            "HASH_KEY": "benchmark-hash-key",
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )


def set_passwords(app: Any) -> int:
    from sqlalchemy import func, select

    from survey_app.extensions import db
    from survey_app.models import Response, User
    from survey_app.services import accounts

    with app.app_context():
        for user in db.session.scalars(select(User).where(User.username.like("demo.%"))):
            user.password_hash = accounts.hash_password(PASSWORD)
            user.must_change_password = False
        db.session.commit()
        return int(db.session.scalar(select(func.count(Response.id))) or 0)


def signed_in(app: Any, username: str) -> Any:
    client = app.test_client()
    page = client.get("/dang-nhap").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]*)"', page)
    if token is None:
        sys.exit("no CSRF token on /dang-nhap")
    done = client.post(
        "/dang-nhap",
        data={"csrf_token": token.group(1), "username": username, "password": PASSWORD},
    )
    if done.status_code != 303:
        sys.exit(f"signing in as {username} failed: {done.status_code}")
    return client


def measure(client: Any, path: str, requests: int) -> tuple[float, float, float]:
    """(first, median, p90) in milliseconds."""
    began = time.perf_counter()
    first = client.get(path)
    warm = (time.perf_counter() - began) * 1000
    if first.status_code != 200:
        sys.exit(f"GET {path}: {first.status_code}")
    times = []
    for _ in range(requests):
        began = time.perf_counter()
        resp = client.get(path)
        resp.get_data()
        times.append((time.perf_counter() - began) * 1000)
        if resp.status_code != 200:
            sys.exit(f"GET {path}: {resp.status_code}")
    p90 = statistics.quantiles(times, n=10)[-1]
    return warm, statistics.median(times), p90


def procedure_code(app: Any) -> str:
    from sqlalchemy import select

    from survey_app.extensions import db
    from survey_app.models import Procedure

    with app.app_context():
        return str(db.session.scalar(select(Procedure.code).where(Procedure.code == "1.004227")))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--reuse", type=Path, help="build (or reuse) DIR/sipas.sqlite")
    args = parser.parse_args()
    with _bench.workdir("sipas-web-speed-") as tmp:
        folder = args.reuse or tmp
        folder.mkdir(parents=True, exist_ok=True)
        seconds = build(folder, args.responses)
        if seconds is None:
            print(f"reusing {folder / 'sipas.sqlite'}")
        else:
            print(
                f"sipas demo --responses {args.responses}: {seconds:.1f} s "
                f"({args.responses / seconds:,.0f} responses/s)"
            )
        app = make_app(folder / "sipas.sqlite")
        print(f"responses in the database: {set_passwords(app):,}")
        cases = [
            ("demo.staff", "/nhan-vien", True),
            ("demo.unithead", "/nhan-vien", True),
            ("demo.staff", "/nhan-vien/xu-huong.svg", False),
            ("demo.office", "/van-phong", True),
            ("demo.office", "/van-phong?hinh_thuc=truc_tiep&nhom=chung", False),
            ("demo.office", f"/van-phong?thu_tuc={procedure_code(app)}", False),
        ]
        print(
            "in-process WSGI (Flask test client), "
            f"{args.requests} requests after one warm-up; milliseconds"
        )
        print(f"{'user':<15} {'path':<46} {'first':>8} {'median':>8} {'p90':>8}")
        failed = False
        clients: dict[str, Any] = {}
        for user, path, target in cases:
            client = clients.get(user) or clients.setdefault(user, signed_in(app, user))
            first, median, p90 = measure(client, path, args.requests)
            mark = ""
            if target:
                mark = " ok" if median <= TARGET_MS else " ABOVE TARGET"
                failed |= median > TARGET_MS
            print(f"{user:<15} {path:<46} {first:8.1f} {median:8.1f} {p90:8.1f}{mark}")
        return _bench.verdict(
            "staff home and office overview, median",
            not failed,
            "ABOVE TARGET" if failed else "every one within",
            f"≤ {TARGET_MS:.0f} ms",
        )


if __name__ == "__main__":
    sys.exit(main())
