"""The task queue: huey, one instance per application.

Where the queue lives (``QUEUE_URL``): empty — an SQLite file ``instance/queue.sqlite``
beside the database, no server needed; ``redis://…`` — Redis, when several machines share
the work; ``memory://`` — this process only (tests). ``QUEUE_IMMEDIATE`` runs every task at
once in the caller's thread (tests).

The tasks themselves are defined in :mod:`survey_app.services.tasks` (they call the services
above this layer) and registered by name at start-up; code below them enqueues by name
(:func:`enqueue`), so the response service can ask for an alert evaluation without importing
the alerts. ``sipas worker`` (:mod:`survey_app.services.tasks.cli`) runs the consumer.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey

log = logging.getLogger(__name__)
EXTENSION = "sipas_queue"
QUEUE_FILE = "queue.sqlite"
REDIS_CONNECT_SECONDS = 0.5


@dataclass
class Queue:
    huey: Huey
    tasks: dict[str, Any] = field(default_factory=dict)  # name → huey TaskWrapper


def make_huey(app: Flask) -> Huey:
    url = str(app.config.get("QUEUE_URL") or "").strip()
    name = str(app.config.get("QUEUE_NAME") or "sipas")
    immediate = bool(app.config.get("QUEUE_IMMEDIATE"))
    if url.startswith(("redis://", "rediss://", "unix://")):
        # Short timeouts: a Redis that is away makes an enqueue fail fast, never hang (the
        # worker's blocking read waits 1 s, within the 5 s socket timeout).
        pool = redis.ConnectionPool.from_url(
            url, socket_connect_timeout=REDIS_CONNECT_SECONDS, socket_timeout=5
        )
        return RedisHuey(name, connection_pool=pool, immediate=immediate, utc=True)
    if url.startswith("memory://"):
        return MemoryHuey(name, immediate=immediate, utc=True)
    if url.startswith("sqlite:///"):
        filename = Path(url.removeprefix("sqlite:///"))
    elif url:
        raise ValueError(f"QUEUE_URL: redis://…, sqlite:///path or memory://, not {url!r}")
    else:
        filename = Path(app.instance_path) / QUEUE_FILE
    if not immediate:
        filename.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(filename), immediate=immediate, utc=True)


def init_queue(app: Flask) -> Queue:
    queue = Queue(make_huey(app))
    app.extensions[EXTENSION] = queue
    return queue


def of(app: Flask | None = None) -> Queue:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    queue: Queue = app.extensions[EXTENSION]
    return queue


def enqueue(name: str, *args: Any, delay: float | None = None) -> None:
    """Put task ``name`` on the queue (run it now in immediate mode); raises when the queue
    cannot be reached — see :func:`enqueue_quietly` for callers that must not fail."""
    wrapper = of().tasks[name]
    if delay:
        wrapper.schedule(args=args, delay=delay)
    else:
        wrapper(*args)


_away_until = 0.0  # monotonic time before which this process does not try the queue again
AWAY_SECONDS = 10.0


def enqueue_quietly(name: str, *args: Any) -> bool:
    """:func:`enqueue` for a caller that must never fail or wait because of the queue (the
    response service): an error is logged and ``False`` returned, and for ``AWAY_SECONDS``
    after it this process does not try again (no request waits on a queue that is away)."""
    global _away_until
    if time.monotonic() < _away_until:
        return False
    try:
        enqueue(name, *args)
    except Exception:
        _away_until = time.monotonic() + AWAY_SECONDS
        log.warning("task %s not queued (the queue is unreachable)", name, exc_info=True)
        return False
    return True
