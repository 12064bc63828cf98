"""Shared helpers for the benchmark scripts (not a benchmark itself).

Every benchmark makes its own throw-away SQLite database in a temporary folder, runs the real
``sipas`` console script (found next to the running Python), starts servers only on 127.0.0.1
and stops them again, whatever happens.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE: dict[str, Any] = {
    "viewport": {"width": 360, "height": 740},
    "is_mobile": True,
    "has_touch": True,
    "locale": "vi-VN",
}


def sipas_exe() -> str:
    """The ``sipas`` console script of this virtualenv."""
    exe = Path(sys.executable).with_name("sipas")
    if not exe.exists():
        sys.exit(
            f"the sipas console script is not next to {sys.executable}; "
            "install the project (pip install -e .)"
        )
    return str(exe)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def workdir(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def sipas_env(db_path: Path, port: int | None = None, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SIPAS_DATABASE_URL=f"sqlite:///{db_path}",
        SIPAS_SECRET_KEY="benchmark-secret-key",
        SIPAS_HASH_KEY="benchmark-hash-key",
        SIPAS_BASE_URL=f"http://{HOST}:{port or 8000}",
        **extra,
    )
    return env


def run_sipas(args: Sequence[str], env: dict[str, str], timeout: float = 600) -> str:
    """Run ``sipas ARGS``; return its standard output; exit with its error if it fails."""
    done = subprocess.run(
        [sipas_exe(), *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )
    if done.returncode != 0:
        sys.exit(f"sipas {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout


def demo_database(db_path: Path, responses: int, port: int | None = None) -> dict[str, str]:
    """``sipas init`` + ``sipas demo --responses N``; returns the environment used."""
    env = sipas_env(db_path, port)
    run_sipas(["init"], env)
    run_sipas(["demo", "--responses", str(responses)], env, timeout=900)
    return env


def counter_links(env: dict[str, str]) -> list[dict[str, str]]:
    """``sipas links --format json``, each link with its token and its unit's questionnaire."""
    links: list[dict[str, str]] = json.loads(run_sipas(["links", "--format", "json"], env))
    db_path = env["SIPAS_DATABASE_URL"].removeprefix("sqlite:///")
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        questionnaires = dict(conn.execute("SELECT code, questionnaire_id FROM units"))
    for link in links:
        link["token"] = link["url"].rsplit("/", 1)[1]
        link["questionnaire"] = questionnaires[link["unit"]]
    return links


def wait_http(url: str, proc: subprocess.Popen[Any] | None = None, timeout: float = 30) -> None:
    """Wait until ``url`` answers 200 (or the process died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - 127.0.0.1 only
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def start_process(cmd: Sequence[str], env: dict[str, str], log: Path) -> subprocess.Popen[Any]:
    fh = log.open("wb")
    try:
        return subprocess.Popen(list(cmd), env=env, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT)
    finally:
        fh.close()  # the child has its own copy


def stop_process(proc: subprocess.Popen[Any] | None, grace: float = 10) -> None:
    """Stop a server we started (gunicorn: SIGTERM = graceful shutdown of its workers)."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=grace)


@contextlib.contextmanager
def sipas_server(
    env: dict[str, str], port: int, log: Path, workers: int = 1, threads: int = 4
) -> Iterator[str]:
    """``sipas serve`` on 127.0.0.1:PORT for the duration of the block; yields its URL."""
    proc = start_process(
        [
            sipas_exe(),
            "serve",
            "--host",
            HOST,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--threads",
            str(threads),
        ],
        env,
        log,
    )
    try:
        url = f"http://{HOST}:{port}"
        try:
            wait_http(f"{url}/healthz", proc)
        except RuntimeError:
            print(log.read_text(errors="replace")[-3000:], file=sys.stderr)
            raise
        yield url
    finally:
        stop_process(proc)


def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        sys.exit(
            "chromium is not installed (apt-get install chromium); "
            "this benchmark uses the system chromium"
        )
    return path


def launch_chromium(pw: Any) -> Any:
    return pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def verdict(name: str, ok: bool, figure: str, target: str) -> int:
    print(f"{name}: {figure} (target {target}) -> {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1
