"""Running the queue's tasks inside a test process.

Unit tests use huey's immediate mode (``QUEUE_IMMEDIATE``: a task runs in the caller, the
request returns once it has run). A test that must see a task *while* it runs (a report held
in the middle) uses :class:`InlineWorker`: the app's own huey instance, taken out of
immediate mode, worked by one thread of this process that dequeues and executes exactly as
the consumer does (and moves the scheduled tasks whose time has come — retries — onto the
queue, as its scheduler does). The real ``sipas worker`` process is exercised in tests/queue/.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType

from flask import Flask

from survey_app.services import queue


class InlineWorker:
    def __init__(self, app: Flask) -> None:
        self.huey = queue.of(app).huey
        self._stop = threading.Event()
        self._busy = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="inline-worker", daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._busy.set()  # before the dequeue: wait_idle never sees a task in between
            for due in self.huey.read_schedule(self.huey._get_timestamp()):  # retries, delays
                self.huey.enqueue(due)
            task = self.huey.dequeue()
            if task is None:
                self._busy.clear()
                time.sleep(0.01)
                continue
            try:
                self.huey.execute(task)
            finally:
                self._busy.clear()

    def __enter__(self) -> InlineWorker:
        self.huey.immediate = False
        self._thread.start()
        return self

    def wait_idle(self, timeout: float = 20) -> bool:
        """True once the queue is empty and no task runs (within ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.huey.pending_count() == 0 and not self._busy.is_set():
                time.sleep(0.02)
                if self.huey.pending_count() == 0 and not self._busy.is_set():
                    return True
            time.sleep(0.01)
        return False

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(30)
