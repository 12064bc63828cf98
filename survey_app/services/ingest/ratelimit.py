"""Per-client, per-counter rate limits shared between server processes.

Clients are known only by a keyed hash of their address (see :func:`client_key`); the window
counters live in the storage named by ``RATELIMIT_STORAGE_URI`` (``memory://`` for one process,
``redis://…`` when several workers must share them).  When Redis cannot be reached the limits
are counted in this process's memory and a warning is logged (:mod:`.limitstorage`): a limit
never turns a request into an error.

Besides the submission limits, :func:`wait_seconds` / :func:`count` give a per-client limit on
any event (failed logins), and :func:`tally` / :func:`expires_in` / :func:`forget` short-lived
counters of any key (the lockout of usernames that have no account), in the same storage.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from datetime import date

from flask import Flask, current_app, request
from limits import parse_many
from limits.strategies import FixedWindowRateLimiter

from survey_app.services.ingest.limitstorage import FallbackStorage

_EXTENSION = "sipas_ratelimit"
_STORAGE = "sipas_ratelimit_storage"


def init_rate_limiter(app: Flask) -> None:
    storage = FallbackStorage(str(app.config["RATELIMIT_STORAGE_URI"]))
    app.extensions[_EXTENSION] = FixedWindowRateLimiter(storage)
    app.extensions[_STORAGE] = storage


def _limiter() -> FixedWindowRateLimiter:
    limiter: FixedWindowRateLimiter = current_app.extensions[_EXTENSION]
    return limiter


def _storage() -> FallbackStorage:
    storage: FallbackStorage = current_app.extensions[_STORAGE]
    return storage


def storage_status() -> str | None:
    """The shared limit storage (Redis) for ``/healthz``: ``"ok"``, ``"unreachable"``, or
    ``None`` when limits live in memory."""
    return _storage().status()


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


def day_client_key(day: date) -> str:
    """The requesting client for one local day, as stored on an open QR response
    (``responses.client_hash``, issue 14): a keyed hash of the day and the address, so that
    submissions of one client on one day can be grouped (bursts) but neither reversed nor
    linked across days."""
    return keyed_hash("client-day", f"{day.isoformat()}|{request.remote_addr or 'unknown'}")[:32]


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


def wait_seconds(setting: str, scope: str) -> int:
    """Seconds until this client is under every limit of ``setting`` for ``scope`` again
    (0: it is now); nothing is counted.  Always 0 when rate limits are off."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return 0
    limiter = _limiter()
    client = client_key()
    wait = 0.0
    for item in parse_many(str(current_app.config[setting])):
        if not limiter.test(item, scope, client):
            reset, _remaining = limiter.get_window_stats(item, scope, client)
            wait = max(wait, reset - time.time())
    return max(1, math.ceil(wait)) if wait > 0 else 0


def count(setting: str, scope: str) -> None:
    """Count one event of this client against every limit of ``setting`` for ``scope``."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    limiter = _limiter()
    client = client_key()
    for item in parse_many(str(current_app.config[setting])):
        limiter.hit(item, scope, client)


def tally(key: str, seconds: int) -> int:
    """Add one to the counter ``key`` (which expires ``seconds`` after its first count);
    returns the new value."""
    return _storage().incr(f"sipas/{key}", seconds)


def expires_in(key: str) -> float:
    """Seconds until the counter ``key`` expires; 0 when it is not set."""
    storage = _storage()
    if storage.get(f"sipas/{key}") <= 0:
        return 0.0
    return max(0.0, storage.get_expiry(f"sipas/{key}") - time.time())


def forget(key: str) -> None:
    _storage().clear(f"sipas/{key}")


def retry_after(scope: str, counter_id: int) -> int:
    """Whole seconds until this client may send again at this counter (for ``Retry-After``):
    the latest reset among the limits it has used up, at least 1."""
    setting = "RATELIMIT_API" if scope == "api" else "RATELIMIT_FORM"
    limiter = _limiter()
    client, now = client_key(), time.time()
    waits = [
        stats.reset_time - now
        for item in parse_many(str(current_app.config[setting]))
        if (stats := limiter.get_window_stats(item, scope, str(counter_id), client)).remaining <= 0
    ]
    return max(1, math.ceil(max(waits, default=1)))


def allow(setting: str, scope: str, key: str) -> bool:
    """Count one request against the limit ``setting`` for ``key`` (not a client address:
    a counter tablet's own allowance, ``RATELIMIT_KIOSK`` per device)."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return True
    limiter = _limiter()
    return all(
        limiter.hit(item, scope, key) for item in parse_many(str(current_app.config[setting]))
    )
