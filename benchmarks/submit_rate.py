"""Submissions per second: sipas's API against a bare Flask endpoint doing the same insert.

Both servers run under gunicorn (gthread) with the same workers and threads on copies of one
demo SQLite database, one after the other, and are driven by the same load generator: N client
threads with keep-alive connections (http.client) POSTing the same JSON body (about 16 answers)
with the counter's bearer token, for a fixed duration each, only to 127.0.0.1.

* sipas: ``sipas serve --workers 2 --threads 4`` (``SIPAS_RATELIMIT_ENABLED=false``),
  ``POST /api/v1/responses`` — authentication by token, validation against the questionnaire,
  idempotency check, the response row in one transaction.
* bare: the tiny Flask app :func:`bare_app` below — checks the token string, parses the JSON and
  inserts the same row (same ``responses`` table and columns, JSON answers) with SQLAlchemy Core
  and the same SQLite pragmas; nothing else.

The main figure is the ratio sipas/bare; target at least 0.60.  As an extra figure (no target)
the public HTML form path is measured too: GET the form, read its CSRF token and idempotency
key, POST the form (one submission = two requests).

    .venv/bin/python benchmarks/submit_rate.py [--seconds 10] [--clients 8]

Exits 1 when the ratio is below the target.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import shutil
import sqlite3
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import _bench

TARGET_RATIO = 0.60
WORKERS, THREADS = 2, 4
QUESTIONNAIRE = "sipas-2024-dv"
ANSWERS = {
    "A1": 5,
    "A2": 4,
    "A3": 4,
    "B1": 5,
    "B2": 3,
    "B3": 4,
    "B4": 5,
    "C1": 4,
    "C2": 5,
    "C3": 3,
    "D1": 4,
    "D2": 4,
    "D3": 5,
    "E1": 4,
    "E2": 3,
    "E3": 5,
}
COMMENT = "Cán bộ hướng dẫn tận tình, thủ tục nhanh gọn."
HIDDEN = re.compile(r'name="(csrf_token|idempotency_key)" type="hidden" value="([^"]*)"')


# --- the bare endpoint (imported by gunicorn in its own process) ---------------------------


def bare_app() -> Any:
    """A minimal Flask app that inserts the response row and nothing else.

    Configured by environment: BARE_DATABASE_URL, BARE_TOKEN, BARE_UNIT_ID, BARE_COUNTER_ID,
    BARE_TARGET_GROUP, BARE_QUESTIONNAIRE.
    """
    import sqlalchemy as sa
    from flask import Flask, jsonify, request

    engine = sa.create_engine(os.environ["BARE_DATABASE_URL"])

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:  # the same as sipas uses
        cur = dbapi_conn.cursor()
        for pragma in (
            "journal_mode=WAL",
            "busy_timeout=10000",
            "foreign_keys=ON",
            "synchronous=NORMAL",
        ):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    responses = sa.Table(
        "responses",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("questionnaire_id", sa.String(60)),
        sa.Column("unit_id", sa.Integer),
        sa.Column("counter_id", sa.Integer),
        sa.Column("procedure_id", sa.Integer),
        sa.Column("target_group", sa.String(40)),
        sa.Column("channel", sa.String(40)),
        sa.Column("submitted_at", sa.DateTime),
        sa.Column("local_day", sa.Date),
        sa.Column("answers", sa.JSON),
        sa.Column("comment", sa.Text),
        sa.Column("source", sa.String(40)),
        sa.Column("idempotency_key", sa.String(64)),
        sa.Column("receipt_hash", sa.String(64)),
    )
    expected = f"Bearer {os.environ['BARE_TOKEN']}"
    fixed = {
        "questionnaire_id": os.environ["BARE_QUESTIONNAIRE"],
        "unit_id": int(os.environ["BARE_UNIT_ID"]),
        "counter_id": int(os.environ["BARE_COUNTER_ID"]),
        "target_group": os.environ["BARE_TARGET_GROUP"],
    }
    vn = ZoneInfo("Asia/Ho_Chi_Minh")
    app = Flask("bare")

    @app.post("/api/v1/responses")
    def create() -> Any:
        if request.headers.get("Authorization") != expected:
            return jsonify({"error": "unauthorized"}), 401
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("answers"), dict):
            return jsonify({"error": "bad request"}), 400
        now = datetime.now(UTC)
        row = {
            **fixed,
            "procedure_id": None,
            "channel": body.get("channel"),
            "submitted_at": now.replace(tzinfo=None),
            "local_day": now.astimezone(vn).date(),
            "answers": body["answers"],
            "comment": body.get("comment"),
            "source": body.get("source") or "api",
            "idempotency_key": body.get("idempotency_key"),
            "receipt_hash": None,
        }
        with engine.begin() as conn:
            result = conn.execute(sa.insert(responses), row)
        new_id = result.inserted_primary_key[0] if result.inserted_primary_key else None
        return jsonify({"id": new_id}), 201

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify({"status": "ok"})

    return app


# --- load generator ------------------------------------------------------------------------


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ok = 0
        self.failed: dict[str, int] = {}
        self.latencies: list[float] = []

    def add(self, ok: bool, what: str, latency: float) -> None:
        with self.lock:
            if ok:
                self.ok += 1
                self.latencies.append(latency)
            else:
                self.failed[what] = self.failed.get(what, 0) + 1


Step = Callable[[http.client.HTTPConnection, dict[str, Any]], tuple[bool, str]]


def api_step(token: str) -> Step:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def step(conn: http.client.HTTPConnection, _state: dict[str, Any]) -> tuple[bool, str]:
        body = json.dumps(
            {
                "answers": ANSWERS,
                "comment": COMMENT,
                "channel": "truc_tiep",
                "idempotency_key": uuid.uuid4().hex,
            },
            ensure_ascii=False,
        )
        conn.request("POST", "/api/v1/responses", body=body.encode(), headers=headers)
        resp = conn.getresponse()
        resp.read()
        return resp.status == 201, str(resp.status)

    return step


def form_step(token: str) -> Step:
    """One citizen: GET the form (keeps the session cookie), POST it, expect 303."""
    path = f"/f/{token}?phieu=day-du"  # the full questionnaire ("trả lời thêm")
    fields = {k: str(v) for k, v in ANSWERS.items()}
    fields.update(comment=COMMENT, channel="truc_tiep")

    def step(conn: http.client.HTTPConnection, state: dict[str, Any]) -> tuple[bool, str]:
        headers = {"Cookie": state["cookie"]} if state.get("cookie") else {}
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        html = resp.read().decode()
        cookie = resp.getheader("Set-Cookie")
        if cookie:
            state["cookie"] = cookie.split(";", 1)[0]
        hidden = dict(HIDDEN.findall(html))
        if resp.status != 200 or len(hidden) != 2:
            return False, f"GET {resp.status}"
        body = urlencode({**hidden, **fields})
        conn.request(
            "POST",
            path,
            body=body.encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": state["cookie"],
            },
        )
        resp = conn.getresponse()
        resp.read()
        return resp.status == 303, f"POST {resp.status}"

    return step


def drive(port: int, step: Step, clients: int, seconds: float) -> tuple[float, Tally]:
    """Run ``step`` in ``clients`` threads for ``seconds``; returns (successes/s, tally)."""
    tally = Tally()
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def worker() -> None:
        conn = http.client.HTTPConnection(_bench.HOST, port, timeout=30)
        state: dict[str, Any] = {}
        start.wait()
        try:
            while time.monotonic() < stop_at[0]:
                t0 = time.perf_counter()
                try:
                    ok, what = step(conn, state)
                except (OSError, http.client.HTTPException) as exc:
                    ok, what = False, type(exc).__name__
                    conn.close()
                    conn = http.client.HTTPConnection(_bench.HOST, port, timeout=30)
                tally.add(ok, what, time.perf_counter() - t0)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    stop_at[0] = time.monotonic() + seconds
    t_start = time.monotonic()
    start.wait()
    for t in threads:
        t.join(timeout=seconds + 60)
    elapsed = time.monotonic() - t_start
    return tally.ok / elapsed, tally


def describe(name: str, rate: float, tally: Tally) -> None:
    lat = sorted(tally.latencies)
    p50 = lat[len(lat) // 2] * 1000 if lat else float("nan")
    p95 = lat[int(len(lat) * 0.95)] * 1000 if lat else float("nan")
    failed = ", ".join(f"{k}: {v}" for k, v in sorted(tally.failed.items())) or "none"
    print(
        f"  {name:<28} {rate:8.1f} /s   ({tally.ok} ok; failed: {failed}; "
        f"latency p50 {p50:.1f} ms, p95 {p95:.1f} ms)"
    )


def count_rows(db_path: Path) -> int:
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        return int(conn.execute("SELECT count(*) FROM responses").fetchone()[0])


def counter_ids(db_path: Path, token: str) -> dict[str, str]:
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        unit_id, counter_id, group = conn.execute(
            "SELECT u.id, c.id, u.target_group FROM counter_tokens t "
            "JOIN counters c ON c.id = t.counter_id JOIN units u ON u.id = c.unit_id "
            "WHERE t.token = ?",
            (token,),
        ).fetchone()
    return {
        "BARE_UNIT_ID": str(unit_id),
        "BARE_COUNTER_ID": str(counter_id),
        "BARE_TARGET_GROUP": group,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each run")
    parser.add_argument("--clients", type=int, default=8, help="client threads")
    parser.add_argument("--responses", type=int, default=3000, help="demo responses to start")
    parser.add_argument("--no-form", action="store_true", help="skip the HTML form figure")
    args = parser.parse_args()
    seconds = min(max(args.seconds, 1.0), 120.0)
    warmup = min(2.0, seconds / 5)

    with _bench.workdir("sipas-rate-") as tmp:
        sipas_db, bare_db = tmp / "sipas.sqlite", tmp / "bare.sqlite"
        port = _bench.free_port()
        env = _bench.demo_database(sipas_db, args.responses, port=port)
        link = next(x for x in _bench.counter_links(env) if x["questionnaire"] == QUESTIONNAIRE)
        token = link["token"]
        shutil.copyfile(sipas_db, bare_db)  # demo data written, WAL checkpointed on close
        env["SIPAS_RATELIMIT_ENABLED"] = "false"
        print(
            f"{os.cpu_count()} CPUs; servers: gunicorn gthread, {WORKERS} workers × "
            f"{THREADS} threads; load: {args.clients} keep-alive client threads, "
            f"{seconds:.0f} s per run after a {warmup:.0f} s warm-up; counter "
            f"{link['unit']} · {link['counter']}; {len(ANSWERS)} answers per submission"
        )

        results: dict[str, float] = {}
        before = count_rows(sipas_db)
        with _bench.sipas_server(env, port, tmp / "sipas.log", WORKERS, THREADS):
            drive(port, api_step(token), args.clients, warmup)
            mid = count_rows(sipas_db)
            results["sipas"], tally = drive(port, api_step(token), args.clients, seconds)
            after = count_rows(sipas_db)
            describe("sipas  POST /api/v1/responses", results["sipas"], tally)
            assert after - mid == tally.ok, (after, mid, tally.ok)
            if not args.no_form:
                drive(port, form_step(token), args.clients, warmup)
                results["form"], ftally = drive(port, form_step(token), args.clients, seconds)
                describe("sipas  GET+POST /f/<token>", results["form"], ftally)
        print(f"  (sipas rows: {before} before, {count_rows(sipas_db)} after)")

        bare_port = _bench.free_port()
        bare_env = dict(
            os.environ,
            BARE_DATABASE_URL=f"sqlite:///{bare_db}",
            BARE_TOKEN=token,
            BARE_QUESTIONNAIRE=QUESTIONNAIRE,
            **counter_ids(bare_db, token),
        )
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "--chdir",
            str(Path(__file__).parent),
            "--bind",
            f"{_bench.HOST}:{bare_port}",
            "--workers",
            str(WORKERS),
            "--threads",
            str(THREADS),
            "--worker-class",
            "gthread",
            "--no-control-socket",
            "submit_rate:bare_app()",
        ]
        proc = _bench.start_process(cmd, bare_env, tmp / "bare.log")
        try:
            try:
                _bench.wait_http(f"http://{_bench.HOST}:{bare_port}/healthz", proc)
            except RuntimeError:
                print((tmp / "bare.log").read_text(errors="replace")[-3000:], file=sys.stderr)
                raise
            drive(bare_port, api_step(token), args.clients, warmup)
            mid = count_rows(bare_db)
            results["bare"], tally = drive(bare_port, api_step(token), args.clients, seconds)
            assert count_rows(bare_db) - mid == tally.ok
            describe("bare   POST /api/v1/responses", results["bare"], tally)
        finally:
            _bench.stop_process(proc)

    ratio = results["sipas"] / results["bare"] if results["bare"] else 0.0
    if "form" in results:
        print(
            f"  HTML form path: {results['form']:.1f} submissions/s "
            f"({results['form'] / results['bare']:.2f} of the bare API endpoint; no target)"
        )
    return _bench.verdict(
        "submit rate sipas/bare",
        ratio >= TARGET_RATIO,
        f"{results['sipas']:.1f}/s vs {results['bare']:.1f}/s = ratio {ratio:.2f}",
        f">= {TARGET_RATIO:.2f}",
    )


if __name__ == "__main__":
    sys.exit(main())
