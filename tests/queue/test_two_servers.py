"""Production shape: two ``sipas serve`` and one ``sipas worker`` on one PostgreSQL with the
Redis queue, as processes. Responses sent through both servers fire one low-rating alert whose
signed webhook arrives once; a report asked for on one server is followed and downloaded on
the other."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Counter
from survey_app.services import alerts, demo
from survey_app.services.clock import VN_TZ

from ..conftest import make_app
from ..factories import PASSWORD, make_user, token_of
from .processes import HOST, Browser, Processes, free_port

REDIS_URL = "redis://127.0.0.1:6379/0"
LOW = {"A1": 1, "B1": 2, "C1": 5}


class Receiver(BaseHTTPRequestHandler):
    got: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802
        Receiver.got.append(
            (dict(self.headers.items()), self.rfile.read(int(self.headers["Content-Length"])))
        )
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.got = []
    server = ThreadingHTTPServer((HOST, 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://{HOST}:{server.server_address[1]}/sipas"
    server.shutdown()
    server.server_close()


def test_two_servers_and_a_worker_on_postgresql_and_redis(
    postgres_database: Any, tmp_path: Path, receiver: str
) -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    db_url = postgres_database.create()
    app = make_app(db_url)
    with app.app_context():
        units = demo.create_organisation()
        demo.generate_responses(200, seed=7)
        head = make_user("truong", "unit_head", units["MC"])
        make_user("bao.cao", "office", units["MC"], must_change=False)
        counter = db.session.scalars(select(Counter).order_by(Counter.id)).first()
        assert counter is not None
        token, counter_code, unit_id = token_of(counter), counter.code, counter.unit_id
        alerts.save_rule(head, unit_id, alerts.RuleInput(kind="low_share", active=True))
        _hook, secret = alerts.add_webhook(head, unit_id, receiver)
        db.session.remove()
        db.engine.dispose()
    name = f"sipas-two-{uuid.uuid4().hex[:8]}"
    procs = Processes(
        tmp_path,
        {
            "SIPAS_DATABASE_URL": db_url,
            "SIPAS_SECRET_KEY": "test-secret",
            "SIPAS_HASH_KEY": "test-hash-key",
            "SIPAS_REPORTS_DIR": str(tmp_path / "reports"),  # shared by the processes
            "SIPAS_QUEUE_URL": REDIS_URL,
            "SIPAS_QUEUE_NAME": name,
        },
    )
    try:
        ports = [free_port(), free_port()]
        for port in ports:
            procs.serve(port)
        procs.worker()
        for i in range(5):  # alternately through each server
            request = urllib.request.Request(  # noqa: S310 - our own local server
                f"http://{HOST}:{ports[i % 2]}/api/v1/responses",
                data=json.dumps({"answers": LOW}).encode(),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=20) as resp:  # noqa: S310
                assert resp.status == 201

        first, second = Browser(f"http://{HOST}:{ports[0]}"), Browser(f"http://{HOST}:{ports[1]}")
        first.sign_in("bao.cao", PASSWORD)
        year = str(datetime.now(VN_TZ).year)
        status, url, _ = first.post_form(
            "/bao-cao", {"loai": "nam", "nam": year, "moc": "lich", "don_vi": "MC"}
        )
        job = int(url.rstrip("/").rsplit("/", 1)[1])
        second.opener = first.opener  # the same signed session, the other server
        deadline = time.monotonic() + 180
        while not (state := second.json(f"/bao-cao/{job}/trang-thai"))["finished"]:
            assert time.monotonic() < deadline, procs.log("worker")[-3000:]
            time.sleep(0.5)
        assert state["status"] == "done", state
        status, _, body = second.get(f"/bao-cao/{job}/tai/zip")
        assert status == 200 and body[:2] == b"PK"

        deadline = time.monotonic() + 30
        while not Receiver.got:
            assert time.monotonic() < deadline, procs.log("worker")[-3000:]
            time.sleep(0.2)
        time.sleep(1)
        ((headers, body),) = Receiver.got  # once, though two servers took the responses
        assert headers["X-Sipas-Signature"] == (
            "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        )
        assert json.loads(body)["counter"]["code"] == counter_code
    finally:
        procs.stop_all()
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"huey.*{name.replace('-', '')}*"):
            client.delete(key)
        postgres_database.reset()
