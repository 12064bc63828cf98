"""Real ``sipas serve`` and ``sipas worker`` processes over one database and one queue, and
a small browser-like HTTP client (cookies, CSRF) for them."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
SIPAS = Path(sys.executable).with_name("sipas")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class Processes:
    """Start, kill and stop the processes of one installation (``env``: its settings)."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.env = {**os.environ, **env}
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.folder / f"{name}.log").open("ab")
        proc = subprocess.Popen(  # noqa: S603 - our own console script
            [str(SIPAS), *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill() reaches its children
        )
        log.close()
        self.procs.append(proc)
        return proc

    def serve(self, port: int) -> subprocess.Popen[bytes]:
        proc = self.start(
            f"serve-{port}", "serve", "--host", HOST, "--port", str(port), "--workers", "1"
        )
        deadline = time.monotonic() + 40
        while True:
            try:
                with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=5):  # noqa: S310
                    return proc
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(self.log(f"serve-{port}"))
            time.sleep(0.2)

    def worker(self) -> subprocess.Popen[bytes]:
        return self.start("worker", "worker", "--threads", "1")

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    @staticmethod
    def kill(proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL to the process and its children (gunicorn's workers): no clean-up of any
        kind, as a crash, an OOM kill or a pulled plug."""
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


class Browser:
    """Cookies and CSRF tokens, like a person's browser; follows redirects."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> tuple[int, str, bytes]:
        with self.opener.open(self.base + path, timeout=30) as resp:
            return resp.status, resp.geturl(), resp.read()

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, str, bytes]:
        html = self.get(path)[2].decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]*)"', html)
        assert token, html[:500]
        data = urllib.parse.urlencode({**fields, "csrf_token": token.group(1)}).encode()
        with self.opener.open(self.base + path, data=data, timeout=60) as resp:
            return resp.status, resp.geturl(), resp.read()

    def sign_in(self, username: str, password: str) -> None:
        status, url, _ = self.post_form("/dang-nhap", {"username": username, "password": password})
        assert status == 200 and "/dang-nhap" not in url, url

    def json(self, path: str) -> Any:
        import json

        return json.loads(self.get(path)[2])
