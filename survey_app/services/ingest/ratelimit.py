"""Per-client, per-counter rate limits shared between server processes.

Clients are known only by a keyed hash of their address (see :func:`client_key`); the window
counters live in the storage named by ``RATELIMIT_STORAGE_URI`` (``memory://`` for one process,
``redis://…`` when several workers must share them).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time

from flask import Flask, current_app, request
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

_EXTENSION = "sipas_ratelimit"


def init_rate_limiter(app: Flask) -> None:
    storage = storage_from_string(str(app.config["RATELIMIT_STORAGE_URI"]))
    app.extensions[_EXTENSION] = FixedWindowRateLimiter(storage)


def keyed_hash(kind: str, value: str) -> str:
    """HMAC-SHA256 of ``value`` under the instance's hash key, separated by ``kind``."""
    key = str(current_app.config["HASH_KEY"]).encode()
    return hmac.new(key, f"{kind}\x00{value}".encode(), hashlib.sha256).hexdigest()


def client_key() -> str:
    """The requesting client, as a keyed hash of its address (never the address itself).

    Behind a reverse proxy the address comes from ``X-Forwarded-For`` only when
    ``TRUSTED_PROXIES`` says how many proxies to trust (werkzeug's ProxyFix).
    """
    return keyed_hash("client", request.remote_addr or "unknown")[:32]


def hit(scope: str, counter_id: int) -> bool:
    """Count one request; ``False`` when the client is over its limit for this counter."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return True
    setting = "RATELIMIT_API" if scope == "api" else "RATELIMIT_FORM"
    limiter: FixedWindowRateLimiter = current_app.extensions[_EXTENSION]
    client = client_key()
    return all(
        limiter.hit(item, scope, str(counter_id), client)
        for item in parse_many(str(current_app.config[setting]))
    )


def retry_after(scope: str, counter_id: int) -> int:
    """Whole seconds until this client may send again at this counter (for ``Retry-After``):
    the latest reset among the limits it has used up, at least 1."""
    setting = "RATELIMIT_API" if scope == "api" else "RATELIMIT_FORM"
    limiter: FixedWindowRateLimiter = current_app.extensions[_EXTENSION]
    client, now = client_key(), time.time()
    waits = [
        stats.reset_time - now
        for item in parse_many(str(current_app.config[setting]))
        if (stats := limiter.get_window_stats(item, scope, str(counter_id), client)).remaining <= 0
    ]
    return max(1, math.ceil(max(waits, default=1)))
