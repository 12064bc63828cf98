"""The test suite's time, before and after issue 10, with the same tests.

Issue 10 asked for the whole suite at most half of its time before the regrouping (424 s on
this machine, 23 November 2026, commit 9cf1d78, 1,403 tests, ``pytest -n 2``).  Since then the
suite has grown (dossiers, the tablet, the queue…), so the whole suite's time says nothing
about that target.  This script measures it with the same tests:

1. checks the old commit out into a throw-away worktree and collects its test ids;
2. collects today's test ids and keeps those that are the old ones (same test function and
   parameters; a test that moved to another module in the regrouping is matched by name);
3. runs the old suite at the old commit, then the matched tests on today's code, each as
   ``pytest -n 2`` in its own process group (today's also ``--dist worksteal``, as
   ``scripts/test.sh`` runs it; neither measures coverage), and prints for each the wall time
   and the CPU time of the whole process tree (user + system, from ``getrusage``).

CPU time is the figure to compare on a busy machine: it barely moves with other load, while
wall time does.  On a quiet two-core machine the wall time is about half the CPU time.

    .venv/bin/python benchmarks/suite_time.py [--base 9cf1d78] [--skip-old]

Target (exit 1 when missed): today's CPU time for the same tests ≤ half the old suite's.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def collect(cwd: Path, python: str) -> list[str]:
    """The test ids pytest collects in ``cwd``."""
    out = subprocess.run(
        [python, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return [line.strip() for line in out.splitlines() if "::" in line]


def match(old: list[str], new: list[str]) -> tuple[list[str], list[str]]:
    """Today's ids for the old tests (same file name first, else the same name anywhere) and
    the old ids with no counterpart."""

    def name(test_id: str) -> str:
        return test_id.split("::", 1)[1]

    def file(test_id: str) -> str:
        return test_id.split("::", 1)[0].rsplit("/", 1)[-1]

    by_name: dict[str, list[str]] = defaultdict(list)
    for test_id in new:
        by_name[name(test_id)].append(test_id)
    matched: set[str] = set()
    missing: list[str] = []
    for test_id in old:
        candidates = by_name.get(name(test_id), [])
        if not candidates:
            missing.append(test_id)
            continue
        same = [c for c in candidates if file(c) == file(test_id)]
        matched.add((same or candidates)[0])
    return sorted(matched), missing


def timed(cmd: list[str], cwd: Path) -> tuple[float, float, str]:
    """Wall and CPU seconds (user + system of the process tree) of one command, and its
    last line of output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    run = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = [line for line in run.stdout.splitlines() if line.strip()]
    summary = next((line for line in reversed(lines) if re.search(r"passed|failed", line)), "")
    return wall, cpu, summary.strip("= ")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="9cf1d78", help="the commit before issue 10")
    parser.add_argument("--skip-old", action="store_true", help="time only today's tests")
    args = parser.parse_args()

    os.environ.setdefault(
        "SIPAS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    work = Path(tempfile.mkdtemp(prefix="sipas-suite-"))
    old_tree = work / "old"
    try:
        subprocess.run(
            ["git", "worktree", "add", "-q", "--detach", str(old_tree), args.base],
            cwd=ROOT,
            check=True,
        )
        # The old tree gets its own virtualenv (its tests start the ``sipas`` console script,
        # which must be the old code), with today's pinned versions.
        subprocess.run([PYTHON, "-m", "venv", str(work / "venv")], check=True)
        old_python = str(work / "venv" / "bin" / "python")
        subprocess.run(
            [
                old_python,
                "-m",
                "pip",
                "install",
                "-q",
                "-c",
                str(ROOT / "requirements" / "constraints.txt"),
                "-e",
                f"{old_tree}[dev]",
            ],
            check=True,
        )
        old_ids = collect(old_tree, old_python)
        new_ids = collect(ROOT, PYTHON)
        same, missing = match(old_ids, new_ids)
        print(f"old suite at {args.base}: {len(old_ids)} tests")
        print(f"today's suite: {len(new_ids)} tests; the old ones among them: {len(same)}")
        print(f"old tests with no counterpart today (replaced): {len(missing)}")
        for test_id in missing:
            print(f"  {test_id}")
        ids_file = work / "same.txt"
        ids_file.write_text("\n".join(same) + "\n", encoding="utf-8")

        old_cpu = None
        if not args.skip_old:
            wall, old_cpu, summary = timed(
                [old_python, "-m", "pytest", "-n", "2", "-q", "-p", "no:cacheprovider"], old_tree
            )
            print(f"old suite:  wall {wall:7.1f} s  CPU {old_cpu:7.1f} s  ({summary})")
        wall, new_cpu, summary = timed(
            [
                PYTHON,
                "-m",
                "pytest",
                "-n",
                "2",
                "--dist",
                "worksteal",
                "-q",
                "-p",
                "no:cacheprovider",
                f"@{ids_file}",
            ],
            ROOT,
        )
        print(f"same tests today: wall {wall:7.1f} s  CPU {new_cpu:7.1f} s  ({summary})")
        load = os.getloadavg()
        print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        if old_cpu is not None:
            ratio = new_cpu / old_cpu
            print(f"CPU ratio today / before: {ratio:.2f} (target ≤ 0.50)")
            return 0 if ratio <= 0.5 else 1
        return 0
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(old_tree)], cwd=ROOT)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
