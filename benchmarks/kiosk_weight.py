"""The counter tablet: the kiosk page's weight, and how fast a queue comes back.

Serves a demo database with ``sipas serve``, makes an enrolment code for one counter (in
process, as the counter's page does), and in chromium on a 1280×800 tablet:

1. enrols the tablet through ``/kiosk/?ma=CODE``;
2. **weight**: opens ``/kiosk/`` in a fresh context holding the device credential and sums the
   decoded (uncompressed) bodies of everything the page loads — the page, its script and
   style, the configuration (questionnaire), the first heartbeat — plus the service worker's
   script; every request must go to the server's own host;
3. **queue**: takes the enrolled tablet offline, puts 100 ratings in its queue (as the page
   queues them: idempotency key, answers, moment), reloads it offline (from the service
   worker), brings the network back and times from "online again" to an empty queue; then
   checks that exactly 100 rows were stored.

    .venv/bin/python benchmarks/kiosk_weight.py

Targets: page ≤ 60 KB (61,440 bytes), all on the server's host; queue of 100 drained ≤ 30 s.
Exits 1 when missed.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
import uuid
from contextlib import closing
from datetime import UTC, datetime
from urllib.parse import urlsplit

import _bench
from playwright.sync_api import Response, sync_playwright

WEIGHT_TARGET = 60 * 1024
DRAIN_TARGET = 30.0
QUEUED = 100
TABLET = {"viewport": {"width": 1280, "height": 800}, "has_touch": True, "locale": "vi-VN"}


def enrolment_code(env: dict[str, str]) -> str:
    """A one-time code for the first active counter (what the counter's page makes)."""
    from survey_app import create_app
    from survey_app.extensions import db
    from survey_app.models import Counter
    from survey_app.services.kiosk import devices

    app = create_app(
        {
            "DATABASE_URL": env["SIPAS_DATABASE_URL"],
            "SECRET_KEY": env["SIPAS_SECRET_KEY"],
            "HASH_KEY": env["SIPAS_HASH_KEY"],
        }
    )
    with app.app_context():
        counter = db.session.scalars(
            db.select(Counter).where(Counter.active.is_(True)).order_by(Counter.id)
        ).first()
        if counter is None:
            sys.exit("the demo database has no counter")
        code = devices.create_code(None, counter, "benchmark").shown
        db.session.remove()
        db.engine.dispose()
    return code


def kiosk_rows(env: dict[str, str]) -> int:
    path = env["SIPAS_DATABASE_URL"].removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as conn:
        return int(
            conn.execute("SELECT count(*) FROM responses WHERE source = 'kiosk'").fetchone()[0]
        )


def queued(n: int) -> list[dict[str, object]]:
    now = datetime.now(UTC).isoformat()
    out = []
    for _ in range(n):
        key = str(uuid.uuid4())
        body = {
            "idempotency_key": key,
            "questionnaire": "sipas-2024-nhanh",
            "answers": {"A0": 5, "B0": 4, "C0": 5, "D0": 4, "E0": 5, "Q5": 1, "Q6": 1},
            "comment": None,
            "submitted_at": now,
            "dossier_code": None,
        }
        out.append({"k": key, "body": body})
    return out


def main() -> int:
    with _bench.workdir("sipas-kiosk-") as tmp:
        port = _bench.free_port()
        env = _bench.demo_database(tmp / "kiosk.sqlite", responses=0, port=port)
        code = enrolment_code(env)
        with _bench.sipas_server(env, port, tmp / "serve.log") as base, sync_playwright() as pw:
            browser = _bench.launch_chromium(pw)
            try:
                tablet_context = browser.new_context(**TABLET)
                tablet = tablet_context.new_page()
                tablet.goto(f"{base}/kiosk/?ma={code}")
                tablet.wait_for_selector("#q-text", timeout=30_000)
                credential = tablet.evaluate("localStorage.getItem('sipas.kiosk.credential')")
                tablet.wait_for_function(
                    "() => navigator.serviceWorker && navigator.serviceWorker.controller",
                    timeout=30_000,
                )

                # Weight: a fresh start of an enrolled tablet.
                fresh = browser.new_context(**TABLET, service_workers="block")
                fresh.add_init_script(
                    f"localStorage.setItem('sipas.kiosk.credential', {json.dumps(credential)})"
                )
                page = fresh.new_page()
                requested: list[str] = []
                responses: list[Response] = []
                page.on("request", lambda r: requested.append(r.url))
                page.on("response", lambda r: responses.append(r))
                page.goto(f"{base}/kiosk/", wait_until="load")
                page.wait_for_selector("#q-text")
                page.wait_for_load_state("networkidle")
                rows = [
                    (r.url, r.request.resource_type, r.status, len(r.body())) for r in responses
                ]
                worker = page.request.get(f"{base}/kiosk/sw.js?v=1")
                rows.append((worker.url, "worker", worker.status, len(worker.body())))
                fresh.close()

                # Queue: 100 ratings waiting offline, then the network comes back.
                tablet_context.set_offline(True)
                tablet.evaluate(
                    "items => localStorage.setItem('sipas.kiosk.queue', JSON.stringify(items))",
                    queued(QUEUED),
                )
                tablet.reload()
                tablet.wait_for_selector("#q-text")
                waiting = tablet.inner_text("#pending")
                before = kiosk_rows(env)
                started = time.perf_counter()
                tablet_context.set_offline(False)
                tablet.wait_for_function(
                    "() => document.getElementById('pending').hidden && "
                    "JSON.parse(localStorage.getItem('sipas.kiosk.queue')).length === 0",
                    timeout=120_000,
                    polling=20,
                )
                drained = time.perf_counter() - started
                stored = kiosk_rows(env) - before
                tablet_context.close()
            finally:
                browser.close()

    own = urlsplit(base).netloc
    foreign = [u for u in requested if not u.startswith("data:") and urlsplit(u).netloc != own]
    total = sum(size for *_, size in rows)
    print(f"{'bytes':>8}  {'status':>6}  {'type':<11} url")
    for url, kind, status, size in rows:
        print(f"{size:>8}  {status:>6}  {kind:<11} {url if len(url) < 90 else url[:87] + '...'}")
    print(f"{total:>8}  total ({total / 1024:.1f} KB), {len(requested)} requests + the worker")
    if foreign:
        print("Requests to other hosts:", *foreign, sep="\n  ")
    print(f"queue: {waiting!r} offline; {stored} rows stored; drained in {drained:.2f} s")
    code_weight = _bench.verdict(
        "kiosk page weight",
        total <= WEIGHT_TARGET and not foreign,
        f"{total} bytes, {len(foreign)} requests to other hosts",
        f"<= {WEIGHT_TARGET} bytes, all same host",
    )
    code_queue = _bench.verdict(
        "queue of 100 back online",
        stored == QUEUED and drained <= DRAIN_TARGET,
        f"{drained:.2f} s, {stored} rows",
        f"<= {DRAIN_TARGET:.0f} s, exactly {QUEUED} rows",
    )
    return max(code_weight, code_queue)


if __name__ == "__main__":
    sys.exit(main())
