"""Write a large, realistic METHOD §7 response file (the ``sipas export`` format) quickly.

    .venv/bin/python benchmarks/make_response_file.py OUT.csv --responses 10000000 \
        --units 1000 --seed 1 [--year 2026]

The file has the header of :func:`survey_app.services.exchange.csvfile.columns`, a UTF-8 BOM,
CRLF line ends and minimal quoting, like ``sipas export``.  Content:

* units ``U0001`` … with 1–4 counters each (``Q1`` …); unit sizes vary (log-normal), and each
  unit has its own satisfaction level, so some units fall below their 90 % (85 %) target;
* about 15 % of units are land-registration offices (``dat_dai_xay_dung_dau_tu``), about 10 %
  use the quick questionnaire ``sipas-2024-nhanh``, the others ``sipas-2024-dv``;
* answers from an ordinal model with a respondent effect; D1 and the E items are often
  missing, Q5/Q6 are mostly 1, the X items are answered by about 25 % of respondents; every
  response has at least one answer;
* channels, procedure codes, sources; ``submitted_at`` spread over the year, in time order, UTC
  with ``Z``; the comment is mostly empty, sometimes text with a comma or a quote, rarely with a
  line break.

Everything is vectorised with numpy and pyarrow.compute, in chunks of 500,000 rows.  Prints the
rows, bytes and seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import forms  # noqa: E402
from survey_app.services.exchange.csvfile import columns  # noqa: E402

CHUNK = 500_000
CHANNELS = ("truc_tiep", "truc_tuyen_toan_trinh", "truc_tuyen_mot_phan", "buu_chinh", "")
CHANNEL_P = (0.62, 0.12, 0.14, 0.04, 0.08)
SOURCES = ("qr", "kiosk", "paper", "api")
SOURCE_P = (0.5, 0.3, 0.15, 0.05)
COMMENTS = (
    "Cán bộ nhiệt tình, chu đáo",
    "Thời gian chờ hơi lâu",
    '"Rất hài lòng" với cách hướng dẫn',
    "Cần thêm ghế ngồi chờ, nhất là buổi sáng",
    "Nên có chỗ gửi xe rộng hơn",
    "Cảm ơn bộ phận một cửa.\nMong tiếp tục phát huy.",
)
COMMENT_P = (0.3, 0.3, 0.1, 0.15, 0.145, 0.005)
# Missing rate per item code (dv form); anything not listed: 6 %.
MISSING = {"D1": 0.4, "E1": 0.55, "E2": 0.62, "E3": 0.66, "D0": 0.3, "E0": 0.5}


def _csv_cell(text: str) -> str:
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _stamps(seconds: NDArray[np.int64]) -> pa.Array:
    """``YYYY-MM-DDTHH:MM:SSZ`` of Unix seconds, built as a fixed-width byte matrix."""
    days, secs = np.divmod(seconds, 86_400)
    # Civil date from days since 1970-01-01 (H. Hinnant's algorithm), vectorised.
    z = days + 719_468
    era = np.floor_divide(z, 146_097)
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    hour, rest = np.divmod(secs, 3600)
    minute, second = np.divmod(rest, 60)
    out = np.empty((len(seconds), 20), dtype=np.uint8)
    out[:] = np.frombuffer(b"0000-00-00T00:00:00Z", dtype=np.uint8)
    for value, first, width in (
        (year, 0, 4),
        (month, 5, 2),
        (day, 8, 2),
        (hour, 11, 2),
        (minute, 14, 2),
        (second, 17, 2),
    ):
        for k in range(width):
            out[:, first + width - 1 - k] = 48 + (value // 10**k) % 10
    return pa.array(out.view("S20").ravel(), type=pa.binary(20)).cast(pa.string())


def _texts(values: tuple[str, ...], index: NDArray[np.integer]) -> pa.Array:
    return pc.take(pa.array(values, type=pa.string()), pa.array(index.astype(np.int32)))


class Population:
    """Units, their counters, levels and questionnaires; draws chunks of responses."""

    def __init__(self, units: int, rng: np.random.Generator) -> None:
        self.rng = rng
        self.codes = tuple(f"U{k + 1:04d}" for k in range(units))
        self.counters = rng.integers(1, 5, size=units)  # 1–4 counters
        self.weight = rng.lognormal(0.0, 0.8, size=units)
        self.weight /= self.weight.sum()
        self.land = rng.random(units) < 0.15
        self.quick = rng.random(units) < 0.10
        # Latent satisfaction level: most units well above target, a tail below it.
        self.level = rng.normal(2.15, 0.45, size=units) - 0.35 * self.land
        procs = [f"1.{k:06d}" for k in rng.choice(13_000, size=60, replace=False)]
        self.procedures = (*procs, "")
        self.items = forms.all_item_codes()
        self.dv = forms.get("sipas-2024-dv").item_codes
        self.nhanh = forms.get("sipas-2024-nhanh").item_codes

    def answers(self, unit: NDArray[np.int64]) -> NDArray[np.int8]:
        rng, n = self.rng, len(unit)
        out = np.zeros((n, len(self.items)), dtype=np.int8)
        quick = self.quick[unit]
        person = self.level[unit] + rng.normal(0.0, 0.8, size=n).astype(np.float32)
        skip_person = rng.normal(0.0, 1.0, size=n).astype(np.float32)
        x_answers = rng.random(n) < 0.25
        for j, code in enumerate(self.items):
            mine = ~quick if code in self.dv else np.zeros(n, dtype=bool)
            if code in self.nhanh:
                mine |= quick
            if code.startswith("X"):
                value = rng.choice(np.arange(1, 5, dtype=np.int8), size=n, p=(0.1, 0.2, 0.4, 0.3))
                present = mine & x_answers & (rng.random(n) < 0.9)
            elif code in ("Q5", "Q6"):
                bad = 1 / (1 + np.exp(person + (1.8 if code == "Q6" else 0.9)))
                value = np.where(rng.random(n) > bad, 1, np.where(rng.random(n) < 0.8, 2, 3))
                present = mine & (rng.random(n) > 0.08)
            else:
                latent = person + rng.normal(0.0, 0.7, size=n).astype(np.float32)
                latent -= 0.4 if code[0] in "BD" else 0.0
                value = np.clip(np.rint(3 + latent), 1, 5)
                miss = MISSING.get(code, 0.06)
                noise = 0.5 * skip_person + 0.866 * rng.normal(0.0, 1.0, size=n)
                present = mine & (noise > _probit(miss))
            out[:, j] = np.where(present, value, 0)
        # Every response answers something: the first item of its form when all are empty.
        empty = ~out.any(axis=1)
        first = np.where(quick, self.items.index(self.nhanh[0]), self.items.index(self.dv[0]))
        out[empty, first[empty]] = 4
        return out


def _probit(p: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(p)


def write_file(out: Path, responses: int, units: int, seed: int, year: int) -> int:
    rng = np.random.default_rng(seed)
    pop = Population(units, rng)
    start = int(np.datetime64(f"{year}-01-01T00:00:00", "s").astype(np.int64)) - 7 * 3600
    end = int(np.datetime64(f"{year + 1}-01-01T00:00:00", "s").astype(np.int64)) - 7 * 3600
    # Submission times in order (export is in id order, ids are given in submission order).
    header = ",".join(columns()) + "\r\n"
    item_texts = ("", "1", "2", "3", "4", "5")
    comments = ("", *(_csv_cell(c) for c in COMMENTS))
    bytes_written = 0
    with out.open("wb") as fh:
        fh.write(("\ufeff" + header).encode("utf-8"))
        done = 0
        for lo in range(0, responses, CHUNK):
            n = min(CHUNK, responses - lo)
            # Ordered uniform times for this chunk's share of the year.
            t0 = start + (end - start) * lo // responses
            t1 = start + (end - start) * (lo + n) // responses
            seconds = np.sort(rng.integers(t0, max(t1, t0 + 1), size=n))
            unit = rng.choice(units, size=n, p=pop.weight)
            counter = rng.integers(0, pop.counters[unit])
            answers = pop.answers(unit)
            has_comment = rng.random(n) < 0.04
            comment = np.where(has_comment, 1 + rng.choice(len(COMMENTS), size=n, p=COMMENT_P), 0)
            cells = [
                pa.array(np.arange(lo + 1, lo + n + 1, dtype=np.int64)).cast(pa.string()),
                _stamps(seconds),
                _texts(pop.codes, unit),
                _texts(("Q1", "Q2", "Q3", "Q4"), counter),
                _texts(pop.procedures, rng.integers(0, len(pop.procedures), size=n)),
                _texts(("chung", "dat_dai_xay_dung_dau_tu"), pop.land[unit].astype(np.int8)),
                _texts(CHANNELS, rng.choice(len(CHANNELS), size=n, p=CHANNEL_P)),
                _texts(("sipas-2024-dv", "sipas-2024-nhanh"), pop.quick[unit].astype(np.int8)),
                _texts(SOURCES, rng.choice(len(SOURCES), size=n, p=SOURCE_P)),
                *(_texts(item_texts, answers[:, j]) for j in range(answers.shape[1])),
                _texts(comments, comment),
            ]
            rows = pc.binary_join_element_wise(*cells, ",")
            rows = pc.binary_join_element_wise(rows, "", "\r\n")
            offsets = np.frombuffer(
                rows.buffers()[1], dtype=np.int32, count=len(rows) + 1, offset=rows.offset * 4
            )
            data = rows.buffers()[2]
            fh.write(memoryview(data)[offsets[0] : offsets[-1]])
            bytes_written += int(offsets[-1] - offsets[0])
            done += n
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--responses", type=int, default=10_000_000)
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--year", type=int, default=2026)
    args = parser.parse_args(argv)
    if args.responses < 0 or not 1 <= args.units <= 9999:
        parser.error("--responses must be ≥ 0 and --units between 1 and 9999")
    t0 = time.perf_counter()
    rows = write_file(args.out, args.responses, args.units, args.seed, args.year)
    seconds = time.perf_counter() - t0
    size = args.out.stat().st_size
    print(f"rows {rows:,}  bytes {size:,}  seconds {seconds:.1f}  -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
