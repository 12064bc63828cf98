"""Configuration: defaults here, then the instance secrets file, then ``SIPAS_*`` variables.

Later sources win: an environment variable overrides a secret written by ``sipas init``, and
the test mapping given to ``create_app`` overrides everything.

Every setting is documented in README.md (a test checks that).  Environment variables drop the
``SIPAS_`` prefix: ``SIPAS_BASE_URL`` → ``app.config["BASE_URL"]``.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    # Where the public form lives, as printed in QR codes (no trailing slash); when
    # SIPAS_BASE_URL is not set, made from PORT and HOST (:func:`default_base_url`).
    "BASE_URL": "http://127.0.0.1:8000",
    # SQLAlchemy URL; empty means the SQLite file instance/sipas.sqlite.
    "DATABASE_URL": "",
    # Rate limits (syntax of the `limits` library: "N per minute", "N/hour;M/day").
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_FORM": "20/hour",  # per client address hash, per counter, public form
    "RATELIMIT_API": "600/minute",  # per client address hash, per counter, kiosk/API
    "RATELIMIT_STORAGE_URI": "memory://",  # redis://127.0.0.1:6379/0 with several workers
    "RATELIMIT_LOGIN": "10/minute;50/hour",  # failed staff logins per client address hash
    # Number of reverse proxies in front whose X-Forwarded-For is trusted (0 = none).
    "TRUSTED_PROXIES": 0,
    "MAX_COMMENT_LENGTH": 2000,
    "DEFAULT_LOCALE": "vi",
    # Seconds a server process keeps a counter token's lookup; a token revoked elsewhere
    # stops working within this time (at once in the process that revoked it).
    "TOKEN_CACHE_SECONDS": 10,
    # How often the staff page asks for new responses (seconds).
    "STAFF_REFRESH_SECONDS": 30,
    # Staff login: failed attempts in a row that lock an account, and for how long.
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_LOCK_MINUTES": 15,
    # Staff sessions end after this long without a request, and this long after the login.
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_MAX_HOURS": 12,
    # Send the session cookie over HTTPS only (set true behind HTTPS in production).
    "SESSION_COOKIE_SECURE": False,
    # Largest response file (CSV or XLSX) the web import accepts, in MB (sipas import: any size).
    "IMPORT_MAX_MB": 5,
    # Limits of an imported workbook, proportional to its size and checked before it is
    # parsed (a zip bomb or a sheet of millions of empty cells is refused, not read): it may
    # unpack to this many times its size (and 512 MB at most), its string table to this many
    # times, and hold this many cells (read or skipped) per KB of file.
    "IMPORT_XLSX_UNPACK_RATIO": 50,
    "IMPORT_XLSX_STRINGS_RATIO": 20,
    "IMPORT_XLSX_CELLS_PER_KB": 2000,
    # Problems an import refusal lists (the page and `sipas import`); the rest are counted.
    "IMPORT_MAX_PROBLEMS": 100,
    # Report packs made in the web app: where their files are kept ("" = instance/reports),
    # and after how many seconds without a sign of life a running report counts as failed.
    "REPORTS_DIR": "",
    "REPORT_JOB_TIMEOUT_SECONDS": 120,
    # Inspector triage: an integrity rate (Q5, Q6) is flagged when the lower bound of its
    # 95 % interval reaches this percentage (or when it rose significantly).
    "INTEGRITY_FLAG_PERCENT": 5.0,
    # Trust signals (issue 14): a burst is TRUST_BURST_MIN or more open submissions of one
    # client (a day-keyed hash of its address) at one counter within TRUST_BURST_SECONDS.
    "TRUST_BURST_MIN": 3,
    "TRUST_BURST_SECONDS": 120,
    # Coverage (issue 14): a group whose response rate (verified responses per dossier
    # served, percent) is under this is not representative: listed, not ranked.
    "COVERAGE_MIN_RATE": 5.0,
    # Working days (Monday–Friday minus the holidays table) a complaint has for its answer;
    # due at the end of the N-th working day after marking (positive integer).
    "COMPLAINT_DUE_WORKING_DAYS": 5,
    # The old name (calendar days before issue 16): when set and the new one is not, its
    # value is read as working days.
    "COMPLAINT_DUE_DAYS": None,
    # Working hours (inside the unit's opening hours, on working days) before a complaint
    # nobody took up escalates to the unit head (positive integer).
    "COMPLAINT_ACK_WORKING_HOURS": 8,
    # Minutes during which whoever marked a comment as a complaint may undo it (positive).
    "COMPLAINT_UNDO_MINUTES": 10,
    # Quyết định 766/QĐ-TTg group 5: the maximum points of indicators 5.4 and 5.2 (issue 14;
    # sources disagree on 5.1–5.3, 5.4 is 6). Numbers above 0, at most 100.
    "INDICATOR_5_4_MAX_POINTS": 6.0,
    "INDICATOR_5_2_MAX_POINTS": 6.0,
    # SQLite: how long (ms) a write waits for another writer (a long import holds the
    # database) before the citizen is asked to send again (HTTP 503, nothing lost).
    "SQLITE_BUSY_TIMEOUT_MS": 10000,
    # Dossiers (issue 13). A dossier code must match this regular expression (the national
    # shape {agency code}-{yyMMdd}-{sequence}, e.g. H15.50.05.13-261008-0975).
    "DOSSIER_CODE_PATTERN": r"^[A-Z0-9]+(?:\.[A-Z0-9]+)*-[0-9]{6}-[0-9]{1,8}$",
    # Dossiers per POST /api/v1/dossiers call (more: HTTP 413).
    "DOSSIER_BATCH_MAX": 1000,
    # An invitation expires this many days after its dossier's result was returned (or after
    # it was made, for a dossier still open).
    "INVITATION_DAYS": 30,
    # Where short invitation links point ("" = SIPAS_BASE_URL): a short domain keeps the SMS
    # link within 40 characters (https://hcc.example.gov.vn/h/XXXXXXXXXX).
    "SHORT_URL_BASE": "",
    # "Tôi có mã hồ sơ" lookups per client address hash (an unknown code reveals nothing).
    "RATELIMIT_DOSSIER_LOOKUP": "10/hour",
    # Counter tablets (issue 15). Ratings one tablet may send (its own allowance, not the
    # per-client form limit; a queue coming back online is sent at once).
    "RATELIMIT_KIOSK": "300/minute",
    # The staff home warns when a tablet has been silent this long during opening hours.
    "KIOSK_SILENT_MINUTES": 30,
    # Opening hours of the units, Vietnam time: ISO weekdays (1 = Monday) and a time range.
    "KIOSK_OPENING_HOURS": "1-5 07:30-17:00",
    # The kiosk: taps within this many seconds of the last one are ignored; an unfinished
    # rating is cleared after this long idle; the thank-you screen shows this long.
    "KIOSK_RESPONSE_INTERVAL_SECONDS": 5,
    "KIOSK_IDLE_SECONDS": 45,
    "KIOSK_THANKS_SECONDS": 5,
    # The task queue (issue 16; `sipas worker` runs it): "" = the SQLite file
    # instance/queue.sqlite (one machine), redis://host:6379/0 when several machines share
    # the work (sqlite:///path and memory:// also work). QUEUE_NAME keeps several sipas
    # installations on one Redis apart; QUEUE_IMMEDIATE runs every task at once in the
    # caller (tests, debugging: no worker needed).
    "QUEUE_URL": "",
    "QUEUE_NAME": "sipas",
    "QUEUE_IMMEDIATE": False,
    # Runs of a report job whose worker died (the worker queues it again until then).
    "REPORT_JOB_ATTEMPTS": 2,
    # The DOCX report's letterhead (Nghị định 30/2020/NĐ-CP; services/reports/letterhead.py):
    # governing and issuing agency ("" = the report's unit), the abbreviation in "Số: …/BC-…"
    # ("" = the unit's code), the place before the date, "Nơi nhận" (lines separated by ";"
    # or a JSON list), the signer's title (lines separated by ";") and name ("" = blanks).
    "REPORT_PARENT_AGENCY": "",
    "REPORT_AGENCY": "",
    "REPORT_SYMBOL": "",
    "REPORT_PLACE": "",
    "REPORT_RECIPIENTS": "",
    "REPORT_SIGNER_TITLE": "",
    "REPORT_SIGNER_NAME": "",
    # Alert e-mails (issue 16): the SMTP server ("" = no e-mail; the deliveries fail with
    # that reason), its port, login, TLS (STARTTLS, or SSL from the start) and the sender.
    "MAIL_SERVER": "",
    "MAIL_PORT": 25,
    "MAIL_USERNAME": "",
    "MAIL_PASSWORD": "",
    "MAIL_STARTTLS": False,
    "MAIL_SSL": False,
    "MAIL_FROM": "sipas@localhost",
    "MAIL_TIMEOUT_SECONDS": 10,
    "WEBHOOK_TIMEOUT_SECONDS": 10,
    # Tries of an alert's e-mail or webhook, the first retry after this many seconds and each
    # next delay twice the last (7 tries, 60 s: over 63 minutes).
    "DELIVERY_TRIES": 7,
    "DELIVERY_RETRY_SECONDS": 60,
}

FLASK_DEFAULTS: dict[str, Any] = {
    "WTF_CSRF_TIME_LIMIT": 4 * 3600,  # a citizen may leave the form open a while
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "MAX_CONTENT_LENGTH": 64 * 1024,  # a response is small; refuse big bodies early
    "BABEL_DEFAULT_LOCALE": "vi",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
    "SEND_FILE_MAX_AGE_DEFAULT": 86400,  # static files: a day in the phone's cache
}

SECRETS_FILE = "secrets.json"
# A wheel ships the migrations inside the package (setup.py maps migrations/ there); a source
# checkout (and an editable install) has them at the top of the tree.
_PACKAGED_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MIGRATIONS_DIR = (
    _PACKAGED_MIGRATIONS
    if _PACKAGED_MIGRATIONS.is_dir()
    else Path(__file__).resolve().parent.parent / "migrations"
)


class ConfigurationError(RuntimeError):
    """The service cannot start with this configuration; the message says what to do.

    ``template`` is a Vietnamese message of the catalogue with ``%(name)s`` placeholders
    filled from ``values``; the ``sipas`` command shows it in its language (survey_app/i18n.py).
    """

    def __init__(self, template: str, **values: Any) -> None:
        super().__init__(template % values if values else template)
        self.template = template
        self.values = values


def default_base_url(environ: Mapping[str, str]) -> str:
    """The public address when ``SIPAS_BASE_URL`` is not set: ``http://127.0.0.1:8000``, with
    the port ``PORT`` names (the one ``sipas serve`` and ``scripts/demo.sh`` serve on) and,
    when ``HOST`` opens the server to the network (``0.0.0.0``), this machine's address on
    that network, so that printed cards and links work on a phone on the same network."""
    port = (environ.get("PORT") or "8000").strip()
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigurationError(
            "PORT phải là số cổng từ 1 đến 65535, không phải %(value)r", value=port
        )
    host = (environ.get("HOST") or "127.0.0.1").strip()
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 - naming the wildcard, not binding to it
        host = network_address()
    return f"http://{host}:{int(port)}"


def network_address() -> str:
    """This machine's address on its network (the interface a packet to the Internet would
    leave by; nothing is sent), or 127.0.0.1 without a network."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: a UDP "connect" only picks a route
        return str(probe.getsockname()[0])
    except OSError:
        return "127.0.0.1"
    finally:
        probe.close()


def require_secrets(app: Any) -> None:
    """Fail fast when the keys are missing (checked before serving; `sipas init` writes them)."""
    missing = [k for k in ("SECRET_KEY", "HASH_KEY") if not app.config.get(k)]
    if missing:
        raise ConfigurationError(
            "chưa đặt %(names)s: hãy chạy `sipas init` (ghi khoá ngẫu nhiên vào %(path)s) hoặc "
            "đặt SIPAS_SECRET_KEY và SIPAS_HASH_KEY.",
            names=", ".join(missing),
            path=app.instance_path,
        )


def positive_int(config: Any, name: str) -> int:
    """The setting ``name`` as a positive integer, or a :class:`ConfigurationError` naming
    its environment variable (``SIPAS_*`` values arrive as JSON: ``7``, or text)."""
    value = config.get(name)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(
            "SIPAS_%(name)s phải là một số nguyên dương, không phải %(value)r",
            name=name,
            value=value,
        )
    return value


def percentage(config: Any, name: str) -> float:
    """The setting ``name`` as a number from 0 to 100, or a :class:`ConfigurationError`."""
    value = config.get(name)
    try:
        number = float(value) if not isinstance(value, bool) else float("nan")
    except (TypeError, ValueError):
        number = float("nan")
    if not 0 <= number <= 100:
        raise ConfigurationError(f"SIPAS_{name} must be a number from 0 to 100, got {value!r}")
    return number


def parse_opening_hours(value: str) -> tuple[list[int], time, time]:
    """``"1-5 07:30-17:00"`` (ISO weekdays as a range or a list ``1,2,3``, then a time
    range) → ([1, 2, 3, 4, 5], 07:30, 17:00); ``ValueError`` when it is not that."""
    days_part, _, hours_part = value.strip().partition(" ")
    if "-" in days_part and "," not in days_part:
        first, last = (int(d) for d in days_part.split("-", 1))
        days = list(range(first, last + 1))
    else:
        days = [int(d) for d in days_part.split(",")]
    start_s, end_s = hours_part.strip().split("-", 1)
    start, end = time.fromisoformat(start_s.strip()), time.fromisoformat(end_s.strip())
    if not days or any(not 1 <= d <= 7 for d in days) or start >= end:
        raise ValueError(value)
    return days, start, end


def check_settings(config: Any) -> None:
    """Fail at start-up on a setting that cannot work (the message names the variable)."""
    config["INTEGRITY_FLAG_PERCENT"] = percentage(config, "INTEGRITY_FLAG_PERCENT")
    config["COVERAGE_MIN_RATE"] = percentage(config, "COVERAGE_MIN_RATE")
    config["TRUST_BURST_MIN"] = positive_int(config, "TRUST_BURST_MIN")
    config["TRUST_BURST_SECONDS"] = positive_int(config, "TRUST_BURST_SECONDS")
    if config["TRUST_BURST_MIN"] < 2:
        raise ConfigurationError("SIPAS_TRUST_BURST_MIN must be 2 or more")
    if config.get("COMPLAINT_DUE_DAYS") is not None:
        config["COMPLAINT_DUE_DAYS"] = positive_int(config, "COMPLAINT_DUE_DAYS")
        if "SIPAS_COMPLAINT_DUE_WORKING_DAYS" not in os.environ:
            config["COMPLAINT_DUE_WORKING_DAYS"] = config["COMPLAINT_DUE_DAYS"]
    config["COMPLAINT_DUE_WORKING_DAYS"] = positive_int(config, "COMPLAINT_DUE_WORKING_DAYS")
    config["COMPLAINT_ACK_WORKING_HOURS"] = positive_int(config, "COMPLAINT_ACK_WORKING_HOURS")
    config["COMPLAINT_UNDO_MINUTES"] = positive_int(config, "COMPLAINT_UNDO_MINUTES")
    for name in ("INDICATOR_5_4_MAX_POINTS", "INDICATOR_5_2_MAX_POINTS"):
        config[name] = percentage(config, name)
        if not config[name] > 0:
            raise ConfigurationError(f"SIPAS_{name} must be a number above 0, got 0")
    config["SQLITE_BUSY_TIMEOUT_MS"] = positive_int(config, "SQLITE_BUSY_TIMEOUT_MS")
    for name in (
        "KIOSK_SILENT_MINUTES",
        "KIOSK_RESPONSE_INTERVAL_SECONDS",
        "KIOSK_IDLE_SECONDS",
        "KIOSK_THANKS_SECONDS",
    ):
        config[name] = positive_int(config, name)
    try:
        parse_opening_hours(str(config.get("KIOSK_OPENING_HOURS")))
    except ValueError:
        raise ConfigurationError(
            'SIPAS_KIOSK_OPENING_HOURS phải có dạng "1-5 07:30-17:00" (thứ trong tuần, giờ), '
            "không phải %(value)r",
            value=config.get("KIOSK_OPENING_HOURS"),
        ) from None
    config["SESSION_IDLE_MINUTES"] = positive_int(config, "SESSION_IDLE_MINUTES")
    config["SESSION_MAX_HOURS"] = positive_int(config, "SESSION_MAX_HOURS")
    config["REPORT_JOB_ATTEMPTS"] = positive_int(config, "REPORT_JOB_ATTEMPTS")
    for name in (
        "IMPORT_XLSX_UNPACK_RATIO",
        "IMPORT_XLSX_STRINGS_RATIO",
        "IMPORT_XLSX_CELLS_PER_KB",
        "IMPORT_MAX_PROBLEMS",
    ):
        config[name] = positive_int(config, name)


def load_instance_secrets(instance_path: str) -> dict[str, str]:
    """Secrets written by ``sipas init`` into the instance folder (never into the repo)."""
    path = Path(instance_path) / SECRETS_FILE
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if k in ("SECRET_KEY", "HASH_KEY")}


def write_instance_secrets(instance_path: str) -> Path:
    """Create the instance secrets file with fresh random keys if it does not exist yet."""
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SECRETS_FILE
    if not path.exists():
        path.write_text(
            json.dumps(
                {"SECRET_KEY": secrets.token_urlsafe(48), "HASH_KEY": secrets.token_urlsafe(48)}
            ),
            encoding="utf-8",
        )
        path.chmod(0o600)
    return path


def database_url(config: dict[str, Any], instance_path: str) -> str:
    url = str(config.get("DATABASE_URL") or "")
    if url:
        # Accept the common postgres:// spelling; use psycopg 3.
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://") :]
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return url
    return f"sqlite:///{Path(instance_path) / 'sipas.sqlite'}"


def engine_options(url: str) -> dict[str, Any]:
    """A server database may drop idle connections: ping before use. SQLite never does.
    PostgreSQL: give up connecting after 5 s (an unreachable host then answers 503 in
    seconds, not after the system's TCP timeout of minutes)."""
    if url.startswith("sqlite"):
        return {}
    options: dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith("postgresql+psycopg"):
        options["connect_args"] = {"connect_timeout": 5}
    return options
