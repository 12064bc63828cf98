"""Where the rate limits count: the shared storage (Redis), or this process's memory while
the shared one cannot be reached.

A rate limit must never turn a submission into an error: when Redis does not answer (within
half a second) the limits are counted in this process's memory instead — a per-process limit,
so with several workers a client may get up to that many times its allowance — and a warning
is logged (at most once a minute).  Redis is tried again after :data:`RETRY_SHARED_SECONDS`;
the first answer logs that it is back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string

RETRY_SHARED_SECONDS = 5.0
LOG_EVERY_SECONDS = 60.0
REDIS_TIMEOUT_SECONDS = 0.5

log = logging.getLogger("sipas.ratelimit")
T = TypeVar("T")


def _where(uri: str) -> str:
    """The storage's scheme, host and port for the log (never a password)."""
    parts = urlsplit(uri)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}:{parts.port}" if parts.port else f"{parts.scheme}://{host}"


class FallbackStorage(Storage):
    """The storage named by ``uri``; this process's memory while that one fails."""

    STORAGE_SCHEME = None

    def __init__(self, uri: str) -> None:
        super().__init__(uri, wrap_exceptions=False)
        self.uri = uri
        self.local = MemoryStorage()
        self.shared: Storage | None = None
        if not uri.startswith("memory://"):
            options: dict[str, float | str | bool] = {"wrap_exceptions": True}
            if uri.startswith(("redis://", "rediss://", "redis+unix://")):
                options["socket_connect_timeout"] = REDIS_TIMEOUT_SECONDS
                options["socket_timeout"] = REDIS_TIMEOUT_SECONDS
            shared = storage_from_string(uri, **options)
            if not isinstance(shared, Storage):  # an async storage: not for a WSGI server
                raise ValueError(f"RATELIMIT_STORAGE_URI {_where(uri)} is not a sync storage")
            self.shared = shared
        self._lock = threading.Lock()
        self._retry_at = 0.0
        self._logged_at = -LOG_EVERY_SECONDS
        self._down = False

    @property
    def base_exceptions(self) -> tuple[type[Exception], ...]:
        return ()  # nothing escapes: a failing shared storage falls back to memory

    def _run(self, call: Callable[[Storage], T]) -> T:
        shared = self.shared
        if shared is not None and time.monotonic() >= self._retry_at:
            try:
                result = call(shared)
            except StorageError as exc:
                self._failed(exc)
            else:
                if self._down:
                    self._down = False
                    log.warning("rate-limit storage %s answers again", _where(self.uri))
                return result
        return call(self.local)

    def _failed(self, exc: StorageError) -> None:
        now = time.monotonic()
        with self._lock:
            self._down = True
            self._retry_at = now + RETRY_SHARED_SECONDS
            if now - self._logged_at < LOG_EVERY_SECONDS:
                return
            self._logged_at = now
        log.warning(
            "rate-limit storage %s unreachable (%s): limits are counted in this process's "
            "memory until it answers again",
            _where(self.uri),
            type(exc.storage_error).__name__,
        )

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return self._run(lambda s: s.incr(key, expiry, amount=amount))

    def get(self, key: str) -> int:
        return self._run(lambda s: s.get(key))

    def get_expiry(self, key: str) -> float:
        return self._run(lambda s: s.get_expiry(key))

    def clear(self, key: str) -> None:
        self._run(lambda s: s.clear(key))

    def reset(self) -> int | None:
        return self._run(lambda s: s.reset())

    def check(self) -> bool:
        """Whether the shared storage answers (memory always does)."""
        return True if self.shared is None else bool(self.shared.check())

    def status(self) -> str | None:
        """``"ok"`` or ``"unreachable"`` for the shared storage; ``None`` without one."""
        if self.shared is None:
            return None
        return "ok" if self.check() else "unreachable"
