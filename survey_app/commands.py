"""The ``sipas`` command-line tool (each command's docstring is its ``--help``).

Why this module is long: one function per ``sipas`` command, about half of its lines the
click options and their help texts; each command body is a few lines that call a service.
"""

from __future__ import annotations

import functools
import json
import sys
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import click
import lazy_loader as lazy
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from gunicorn.app.base import BaseApplication
from sqlalchemy.exc import OperationalError

from survey_app import services
from survey_app.admin.keycommands import keys_group
from survey_app.config import ConfigurationError, require_secrets, write_instance_secrets
from survey_app.extensions import db
from survey_app.i18n import cli_text
from survey_app.imports.commands import import_command
from survey_app.imports.dossiercommands import dossiers_group
from survey_app.models import ROLES
from survey_app.public.commands import invitations_command
from survey_app.services import accounts, analytics, formatting, org, storage
from survey_app.services.errors import InputError
from survey_app.services.exchange import csvfile as exchange
from survey_app.services.indicators.cli import indicators
from survey_app.services.reports.cli import report
from survey_app.services.tasks.cli import worker

if TYPE_CHECKING:
    import scoring
else:
    scoring = lazy.load("scoring")  # numpy, scipy: loaded on first use, like the services


class LocalDay(click.DateTime):
    """A local day ``YYYY-MM-DD`` within the days sipas accepts (:func:`scoring.check_day`):
    0001-01-01 or 9999-12-31 is a usage error (exit 2), not a traceback later."""

    name = "YYYY-MM-DD"

    def __init__(self) -> None:
        super().__init__(["%Y-%m-%d"])

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        moment = super().convert(value, param, ctx)
        try:
            scoring.check_day(moment.date())
        except ValueError as exc:
            self.fail(str(exc).partition(": ")[2], param, ctx)
        return moment


LOCAL_DAY = LocalDay()


def register_commands(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)


# --- errors: one line on standard error, exit status 2 --------------------------------------


class CliError(click.ClickException):
    """Every error of a ``sipas`` command: ``Error: <message>`` on standard error, exit 2."""

    exit_code = 2


def cli_error(exc: BaseException) -> CliError | None:
    """The one-line error a command shows for ``exc`` (``None``: not an error of the user's
    or of the surroundings, i.e. a bug, whose traceback is kept): a bad option or value (with
    the command's ``--help``), a setting that is invalid, a database missing, not initialised
    or unreachable, a file that cannot be read or written (any ``OSError``), input a service
    refuses (:class:`~survey_app.services.errors.InputError`, the base of the services'
    errors)."""
    if isinstance(exc, CliError):
        return exc
    if isinstance(exc, click.UsageError):
        where = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        return CliError(exc.format_message() + where)
    if isinstance(exc, click.ClickException):
        return CliError(exc.format_message())
    if isinstance(exc, ConfigurationError):
        return CliError(cli_text(exc.template, **exc.values))
    if isinstance(exc, InputError):
        return CliError(str(exc))
    if isinstance(exc, OperationalError):
        reason = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
        return CliError(
            cli_text(
                "cơ sở dữ liệu chưa sẵn sàng (%(reason)s): hãy chạy `sipas init` và kiểm "
                "tra SIPAS_DATABASE_URL",
                reason=reason,
            )
        )
    if isinstance(exc, OSError):
        what = f"{exc.filename}: " if exc.filename else ""
        return CliError(f"{what}{exc.strerror or exc}")
    return None


def _guard(command: click.Command) -> click.Command:
    """Run ``command`` (and a group's subcommands) through :func:`cli_error`."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _guard(sub)
    callback = command.callback
    if callback is not None and not getattr(callback, "sipas_guarded", False):

        @functools.wraps(callback)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return callback(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - translated, or raised again as it was
                error = cli_error(exc)
                if error is None:
                    raise
                raise error from None

        guarded.sipas_guarded = True  # type: ignore[attr-defined]
        command.callback = guarded
    return command


def _ensure_secrets() -> None:
    if not (current_app.config.get("SECRET_KEY") and current_app.config.get("HASH_KEY")):
        path = write_instance_secrets(current_app.instance_path)
        click.echo(_("Đã ghi SECRET_KEY và HASH_KEY ngẫu nhiên vào %(path)s", path=path))


def _unit_ids(code: str | None) -> list[int] | None:
    if code is None:
        return None
    ids = org.unit_subtree_ids(code)
    if ids is None:
        raise click.BadParameter(_("không có đơn vị mã %(code)r", code=code), param_hint="--unit")
    return ids


@click.command()
@with_appcontext
def init() -> None:
    """Create or upgrade the database and write the instance secrets (safe to repeat)."""
    _ensure_secrets()
    storage.schema.upgrade_database()
    url = db.engine.url.render_as_string(hide_password=True)
    click.echo(_("Cơ sở dữ liệu đã sẵn sàng: %(url)s", url=url))


@click.command()
@click.option(
    "--responses",
    "n",
    type=click.IntRange(0, 50_000_000),
    default=3000,
    show_default=True,
    help="Synthetic responses to add over the last 120 days.",
)
@click.option(
    "--seed", type=int, default=2024, show_default=True, help="Random seed, for reproducible data."
)
@click.option(
    "--dossiers/--no-dossiers",
    "with_dossiers",
    default=True,
    show_default=True,
    help="Also make the dossiers behind the responses, their invitations and verified "
    "responses (about 3.5 more rows per response: leave them out for very large loads).",
)
@with_appcontext
def demo(n: int, seed: int, with_dossiers: bool) -> None:
    """Create a demo province (units, counters, procedures) with synthetic responses.

    If the demo organisation exists already, nothing is added.
    """
    _ensure_secrets()
    storage.schema.upgrade_database()
    if services.demo.exists():
        click.echo(_("Tổ chức mẫu đã có; không thêm gì."))
    else:
        services.demo.create_organisation()
        added = services.demo.generate_responses(n, seed, with_dossiers=with_dossiers)
        click.echo(_("Đã tạo tỉnh mẫu với %(n)s phản hồi.", n=added))
        made = services.demo.dossier_counts()
        if made["dossiers"]:
            click.echo(
                _(
                    "Hồ sơ mẫu: %(dossiers)s (đang xử lý: %(open)s), lời mời đánh giá: "
                    "%(invitations)s, phản hồi đã xác thực: %(verified)s.",
                    **made,
                )
            )
    click.echo(
        _(
            "Đường dẫn của các quầy (mở một đường dẫn trên điện thoại, hoặc in thẻ QR bằng "
            "`sipas qr`):"
        )
    )
    for link in org.links(org.unit_subtree_ids(services.demo.DEMO_ROOT)):
        click.echo(f"  {link.unit_name} · {link.counter_name}: {link.url}")
    created = services.demo.create_accounts()
    if created:
        url = str(current_app.config["BASE_URL"]) + "/dang-nhap"
        click.echo(_("Tài khoản mẫu (đăng nhập tại %(url)s; mật khẩu chỉ hiện lần này):", url=url))
        for account in created:
            unit = _(" tại %(unit)s", unit=account.unit_code) if account.unit_code else ""
            click.echo(f"  {account.username}  {account.password}  ({account.role}{unit})")


@click.command()
@click.option(
    "--host",
    envvar="HOST",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (0.0.0.0: every network, e.g. for phones); env HOST.",
)
@click.option(
    "--port",
    envvar="PORT",
    type=click.IntRange(1, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on; env PORT (also the port of the default public address).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="Worker processes (use Redis for rate limits when more than one).",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="Threads per worker.",
)
@with_appcontext
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the application with gunicorn (a production WSGI server)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    require_secrets(app)
    if workers > 1 and str(app.config["RATELIMIT_STORAGE_URI"]).startswith("memory"):
        click.echo(
            _(
                "Lưu ý: với memory://, giới hạn tần suất tính riêng cho từng tiến trình; đặt "
                "SIPAS_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0 để dùng chung."
            )
        )

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("accesslog", None)

        def load(self) -> Any:
            return app

    click.echo(
        _(
            "sipas đang phục vụ tại http://%(host)s:%(port)s/ (địa chỉ công khai "
            "%(base)s); dừng bằng Ctrl+C",
            host=host,
            port=port,
            base=app.config["BASE_URL"],
        )
    )
    base_port = urlsplit(str(app.config["BASE_URL"])).port
    if base_port is not None and base_port != port:
        click.echo(
            _(
                "Lưu ý: địa chỉ công khai (SIPAS_BASE_URL, in trên thẻ QR) dùng cổng %(base)s, "
                "còn máy chủ nghe ở cổng %(port)s: đặt PORT=%(port)s hoặc SIPAS_BASE_URL cho "
                "khớp.",
                base=base_port,
                port=port,
            )
        )
    _Server().run()


@click.command()
@click.option("--unit", "unit_code", help="Only this unit and the units under it.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@with_appcontext
def links(unit_code: str | None, fmt: str) -> None:
    """Print each counter's public form URL (what its QR code encodes)."""
    found = org.links(_unit_ids(unit_code))
    if fmt == "json":
        click.echo(
            json.dumps(
                [{"unit": x.unit_code, "counter": x.counter_code, "url": x.url} for x in found],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    for x in found:
        click.echo(f"{x.unit_code}\t{x.counter_code}\t{x.url}\t{x.unit_name} · {x.counter_name}")


@click.command()
@click.option("--unit", "unit_code", help="Only this unit and the units under it.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for the cards (created if missing).",
)
@with_appcontext
def qr(unit_code: str | None, out_dir: Path) -> None:
    """Write a printable A6 card (PDF and SVG) with the QR code for each counter."""
    cards = [
        org.qrcards.Card(x.unit_code, x.unit_name, x.counter_code, x.counter_name, x.url)
        for x in org.links(_unit_ids(unit_code))
    ]
    if not cards:
        raise click.UsageError(_("không có quầy nào đang hoạt động để in thẻ"))
    paths = org.qrcards.write_cards(cards, out_dir)
    click.echo(
        _(
            "Đã ghi %(files)s tệp cho %(n)s quầy vào %(out)s",
            files=len(paths),
            n=len(cards),
            out=out_dir,
        )
    )


@click.command()
@click.option(
    "--from",
    "start",
    type=LOCAL_DAY,
    help="First local day (YYYY-MM-DD), inclusive.",
)
@click.option("--to", "end", type=LOCAL_DAY, help="Last local day (YYYY-MM-DD), inclusive.")
@click.option("--unit", "unit_code", help="Only this unit and the units under it.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="CSV file to write ('-' for standard output).",
)
@with_appcontext
def export(start: Any, end: Any, unit_code: str | None, out: Path) -> None:
    """Export responses as the METHOD §7 response file (UTF-8 CSV with BOM)."""
    first: date | None = start.date() if start else None
    last: date | None = end.date() if end else None
    if first and last and first > last:
        raise click.BadParameter(_("--from sau --to"), param_hint="--from")
    ids = _unit_ids(unit_code)
    if str(out) == "-":
        count = exchange.write_csv(sys.stdout, first, last, ids)
    else:
        count = exchange.export_file(out, first, last, ids)
    click.echo(_("Đã xuất %(n)s phản hồi ra %(out)s", n=count, out=out), err=True)


@click.group("users")
def users() -> None:
    """Staff accounts."""


@users.command("add")
@click.argument("username")
@click.option("--role", required=True, help=f"One of: {', '.join(ROLES)}.")
@click.option(
    "--unit",
    "unit_code",
    help="Code of the unit the role is held at (and the "
    "units under it); every role but admin needs one.",
)
@click.option(
    "--counter",
    "counter_code",
    default="",
    help="staff only: narrow the role to this counter code of the unit.",
)
@with_appcontext
def users_add(username: str, role: str, unit_code: str | None, counter_code: str) -> None:
    """Add an account; the password is asked twice, or read from standard input.

    The user must change the password at the first login.
    """
    if sys.stdin.isatty():
        password = click.prompt(
            _("Mật khẩu"),
            hide_input=True,
            confirmation_prompt=_("Nhập lại mật khẩu"),
        )
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = accounts.create_user(username, password, role, unit_code, counter_code=counter_code)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    where = _(" tại %(unit)s", unit=unit_code) if unit_code else ""
    where += _(", quầy %(counter)s", counter=counter_code) if counter_code else ""
    click.echo(
        _(
            "Đã thêm %(user)s (%(role)s%(where)s); phải đổi mật khẩu ở lần đăng nhập đầu.",
            user=user.username,
            role=role,
            where=where,
        )
    )


@users.command("reset-password")
@click.argument("username")
@click.option(
    "--ask",
    is_flag=True,
    help="Type the new password (asked twice, or read from standard input) instead of "
    "printing a random one.",
)
@with_appcontext
def users_reset_password(username: str, ask: bool) -> None:
    """Give an account a new password (a lost one): a random one printed once, or one typed;
    the user must change it at the next login, their sessions end, the change is audited."""
    password: str | None = None
    if ask:
        if sys.stdin.isatty():
            password = click.prompt(
                _("Mật khẩu mới"), hide_input=True, confirmation_prompt=_("Nhập lại mật khẩu")
            )
        else:
            password = sys.stdin.readline().rstrip("\r\n")
    try:
        new = accounts.reset_password_from_command_line(username, password)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if password is None:
        click.echo(
            _(
                "Mật khẩu mới của %(user)s (chỉ hiện lần này; phải đổi ở lần đăng nhập tới): "
                "%(password)s",
                user=username,
                password=new,
            )
        )
    else:
        click.echo(
            _("Đã đặt mật khẩu mới cho %(user)s; phải đổi ở lần đăng nhập tới.", user=username)
        )


@click.group("db")
def db_group() -> None:
    """The database: ahead-of-time packing (warm) and schema migrations (Alembic)."""


@db_group.command("revision")
@click.option("-m", "--message", required=True, help="What the migration changes.")
@with_appcontext
def db_revision(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    script = storage.schema.new_revision(message)
    path = getattr(script, "path", script)
    click.echo(_("Đã ghi %(path)s: hãy đọc lại trước khi commit.", path=path))


@db_group.command("check")
@with_appcontext
def db_check() -> None:
    """Fail when the models have changes that no migration holds."""
    try:
        storage.schema.check()
    except storage.schema.CommandError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(_("Các migration khớp với mô hình dữ liệu."))


@db_group.command("warm")
@click.option(
    "--from",
    "start",
    type=LOCAL_DAY,
    help="First local day (YYYY-MM-DD); default: the first day with responses.",
)
@click.option(
    "--to",
    "end",
    type=LOCAL_DAY,
    help="Last local day (YYYY-MM-DD); default: yesterday.",
)
@click.option(
    "--breakdowns/--no-breakdowns",
    default=True,
    show_default=True,
    help="Also the half-months broken down by channel and by procedure.",
)
@with_appcontext
def db_warm(start: Any, end: Any, breakdowns: bool) -> None:
    """Pack closed days and compute closed half-months ahead of the pages (after an upgrade
    or a large import; safe to run again, e.g. nightly)."""
    began = time.perf_counter()
    try:
        done = analytics.halfmonths.warm(
            start.date() if start else None, end.date() if end else None, breakdowns
        )
    except analytics.slices.ScoreError as exc:
        raise click.UsageError(str(exc)) from None
    kinds = ", ".join(d or _("đơn vị × nhóm đối tượng") for d in done.dimensions) or _("không")
    click.echo(
        _(
            "%(days)s ngày đã đóng (%(packed)s ngày đóng gói lần này, còn lại đã có); "
            "%(halves)s nửa tháng đã đóng được lưu (%(kinds)s) trong %(seconds)s giây.",
            days=done.days,
            packed=done.packed,
            halves=done.half_months,
            kinds=kinds,
            seconds=round(time.perf_counter() - began, 1),
        )
    )


@click.command()
@click.option(
    "--from",
    "start",
    type=LOCAL_DAY,
    help="First local day (YYYY-MM-DD), inclusive.",
)
@click.option("--to", "end", type=LOCAL_DAY, help="Last local day (YYYY-MM-DD), inclusive.")
@click.option(
    "--period",
    help="A period instead of --from/--to: 2026-03 (month), 2026-Q1 (quarter), 2026-H1 "
    "(6 months), 2026-9M (9 months), 2026 (year), 2026-YTD (year to date), a day 2026-03-05 "
    "or a range 2026-01-01..2026-03-31.",
)
@click.option(
    "--cutoff",
    type=click.Choice(["calendar", "report"]),
    default="calendar",
    show_default=True,
    help="Calendar periods, or the government reporting periods "
    "that run from the 15th to the 14th.",
)
@click.option(
    "--by",
    "by",
    multiple=True,
    help="Group by unit, counter, procedure, target_group, channel, day, month or "
    "quarter (repeat, or separate with commas).",
)
@click.option("--unit", "unit_code", help="Only this unit and the units under it.")
@click.option(
    "--input",
    "input_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Score a response file (the `sipas export` format) instead of the database.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@click.option(
    "--min-n",
    type=click.IntRange(1, 100000),
    default=30,
    show_default=True,
    help="Fewest respondents for a flag other than insufficient_data.",
)
@click.option(
    "--aggregate",
    type=click.Choice(["pool", "mean"]),
    default="pool",
    show_default=True,
    help="A parent unit from all responses below it (pool), or "
    "as the mean of its child units' indices (mean).",
)
@click.option(
    "--targets",
    type=click.Choice(["90-85", "2030"]),
    default="90-85",
    show_default=True,
    help="Target set: 90 % (85 % land, construction, investment), or the 2030 preset 95 % (90 %).",
)
@click.option(
    "--responses",
    type=click.Choice(["all", "verified", "open"]),
    default="all",
    show_default=True,
    help="Every response, only verified ones (made through a dossier's invitation) or only "
    "open ones (QR card, kiosk, API, file).",
)
@with_appcontext
def score(
    start: Any,
    end: Any,
    period: str | None,
    cutoff: str,
    by: tuple[str, ...],
    unit_code: str | None,
    input_file: Path | None,
    fmt: str,
    min_n: int,
    aggregate: str,
    targets: str,
    responses: str,
) -> None:
    """SIPAS indices with 95 % intervals and target flags, per group (METHOD §4).

    Reads the database, or with --input a response file (no database needed).
    """
    dims = tuple(d.strip() for part in by for d in part.split(",") if d.strip())
    first: date | None = start.date() if start else None
    last: date | None = end.date() if end else None
    if period:
        if first or last:
            raise click.UsageError(_("dùng --period hoặc --from/--to, không dùng cả hai"))
        try:
            first, last = analytics.periods.period_dates(period, cutoff)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--period") from None
    try:
        query = analytics.scores.Slice(
            start=first,
            end=last,
            by=dims,
            cutoff=scoring.Cutoff(cutoff),
            unit_code=unit_code,
            min_n=min_n,
            targets=targets,
            aggregate=aggregate,
            where=analytics.slices.RESPONSES[responses],
        )
        if input_file is not None:
            if unit_code:
                raise click.UsageError(_("--unit cần cơ sở dữ liệu; hãy lọc tệp trước"))
            rows = analytics.filescore.rows_from_file(input_file)
            groups = analytics.filescore.score_columns(rows, query)
        else:
            groups = analytics.coverage.attach(analytics.scores.score_stored(query), query)
    except analytics.slices.ScoreError as exc:
        raise click.UsageError(str(exc)) from None
    except exchange.ResponseFileError as exc:
        problems = exc.problems
        shown = "\n".join(f"  {p}" for p in problems[:20])
        more = "\n  " + _("… và %(n)s lỗi khác", n=len(problems) - 20) if len(problems) > 20 else ""
        head = _("tệp %(file)s có %(n)s lỗi, không tính điểm:", file=input_file, n=len(problems))
        raise click.UsageError(f"{head}\n{shown}{more}") from None
    except OSError as exc:
        raise click.UsageError(
            _("không đọc được %(file)s: %(reason)s", file=input_file, reason=exc.strerror)
        ) from None
    dims = query.dimensions
    if fmt == "json":
        click.echo(analytics.output.as_json(groups))
    elif fmt == "csv":
        click.echo(analytics.output.as_csv(groups, dims), nl=False)
    else:
        names = None if input_file is not None else org.unit_names()
        click.echo(analytics.output.as_table(groups, dims, names), nl=False)
    excluded = (
        0
        if input_file is not None
        else analytics.exclusions.excluded_count(_unit_ids(unit_code), first, last)
    )
    if excluded:
        # Responses an inspector excluded (issue 14): after the table, on standard error for
        # JSON and CSV (their standard output stays one document).
        click.echo(
            _("Đã loại %(n)s phiếu khỏi các chỉ số (thanh tra).", n=formatting.number(excluded)),
            err=fmt != "table",
        )


COMMANDS = tuple(
    _guard(command)
    for command in (
        init,
        demo,
        serve,
        links,
        qr,
        export,
        import_command,
        score,
        report,
        indicators,
        users,
        db_group,
        keys_group,
        dossiers_group,
        invitations_command,
        worker,
    )
)
