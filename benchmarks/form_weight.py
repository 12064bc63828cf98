"""Page weight of the public form: the page and everything it loads, uncompressed.

Serves a demo database with ``sipas serve``, opens a counter's form (the full ``sipas-2024-dv``
questionnaire, the heaviest: the QR card opens the quick form first and its "trả lời thêm" link,
``?phieu=day-du``, this one) in chromium on a phone-sized screen, records every request, and
sums the decoded (uncompressed) body bytes.  Every request must go to the server's own host.
The quick form the card opens first is measured too, for information.

    .venv/bin/python benchmarks/form_weight.py

Target: at most 30 KB (30,720 bytes) in total.  Exits 1 when missed.
"""

from __future__ import annotations

import sys
from urllib.parse import urlsplit

import _bench
from playwright.sync_api import Response, sync_playwright

TARGET = 30 * 1024
QUESTIONNAIRE = "sipas-2024-dv"


def measure(url: str) -> tuple[list[tuple[str, str, int, int]], list[str]]:
    """Load ``url``; return (url, resource type, status, body bytes) per response, and
    every requested URL."""
    requested: list[str] = []
    responses: list[Response] = []
    with sync_playwright() as pw:
        browser = _bench.launch_chromium(pw)
        try:
            context = browser.new_context(**_bench.PHONE)
            page = context.new_page()
            page.on("request", lambda r: requested.append(r.url))
            page.on("response", lambda r: responses.append(r))
            page.goto(url, wait_until="load")
            page.wait_for_load_state("networkidle")
            rows = []
            for resp in responses:
                body = resp.body() if resp.status not in (204, 301, 302, 303, 304) else b""
                rows.append((resp.url, resp.request.resource_type, resp.status, len(body)))
            context.close()
        finally:
            browser.close()
    return rows, requested


def main() -> int:
    with _bench.workdir("sipas-weight-") as tmp:
        port = _bench.free_port()
        env = _bench.demo_database(tmp / "weight.sqlite", responses=0, port=port)
        links = [x for x in _bench.counter_links(env) if x["questionnaire"] == QUESTIONNAIRE]
        if not links:
            sys.exit(f"no demo counter uses {QUESTIONNAIRE}")
        with _bench.sipas_server(env, port, tmp / "serve.log") as base:
            url = f"{base}/f/{links[0]['token']}"
            rows, requested = measure(f"{url}?phieu=day-du")
            quick_rows, _quick_requested = measure(url)

    own = urlsplit(base).netloc
    foreign = [u for u in requested if not u.startswith("data:") and urlsplit(u).netloc != own]
    total = sum(size for *_, size in rows)
    print(f"Form of counter {links[0]['unit']} · {links[0]['counter']} ({QUESTIONNAIRE})")
    print(f"{'bytes':>8}  {'status':>6}  {'type':<11} url")
    for resp_url, kind, status, size in rows:
        shown = resp_url if len(resp_url) < 90 else resp_url[:87] + "..."
        print(f"{size:>8}  {status:>6}  {kind:<11} {shown}")
    print(f"{total:>8}  total over {len(rows)} responses, {len(requested)} requests")
    quick = sum(size for *_, size in quick_rows)
    print(f"{quick:>8}  the quick form the QR card opens first (sipas-2024-nhanh), all included")
    if foreign:
        print("Requests to other hosts:", *foreign, sep="\n  ")
    code = _bench.verdict(
        "form weight",
        total <= TARGET and not foreign,
        f"{total} bytes ({total / 1024:.1f} KB), {len(foreign)} requests to other hosts",
        f"<= {TARGET} bytes, all same host",
    )
    return code


if __name__ == "__main__":
    sys.exit(main())
