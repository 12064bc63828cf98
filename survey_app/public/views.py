"""Public form views: parse, call the service, render or redirect."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _

from survey_app.public.formbuilder import answers_of, build_form_class
from survey_app.services import org
from survey_app.services.clock import today_local
from survey_app.services.ingest import responses
from survey_app.services.ingest.ratelimit import day_client_key, hit, retry_after

bp = Blueprint("public", __name__)

# ``?phieu=day-du``: "trả lời thêm", the unit's questionnaire instead of the quick form.
MORE = "day-du"


def _counter_or_404(token: str) -> org.CounterInfo:
    counter = org.counter_by_token(token)
    if counter is None:
        abort(404)
    return counter


@bp.get("/")
def index() -> str:
    return render_template("public/index.html")


@bp.route("/f/<token>", methods=["GET", "POST"])
def form(token: str) -> ResponseReturnValue:
    counter = _counter_or_404(token)
    if not counter.open_qr:  # the unit rates through its dossiers' invitations only
        locale = str(get_locale() or "vi")
        return render_template("public/closed_qr.html", counter=counter, locale=locale)
    shown = responses.public_form(counter, request.args.get("phieu") == MORE)
    q = shown.questionnaire
    locale = str(get_locale() or "vi")
    form = build_form_class(q, locale)()
    if form.is_submitted() and not hit("form", counter.counter_id):
        wait = retry_after("form", counter.counter_id)
        page = render_template("public/limited.html", counter=counter)
        return page, 429, {"Retry-After": str(wait)}
    status, headers = 200, {}
    if form.validate_on_submit():
        sub = responses.Submission(
            answers=answers_of(form, q),
            procedure=form.procedure.data,
            channel=form.channel.data,
            comment=form.comment.data,
            transaction_ref=form.transaction_ref.data,
            idempotency_key=form.idempotency_key.data,
            source="qr",
            client_hash=day_client_key(today_local()),
        )
        try:
            responses.submit(counter, q, sub)
            return redirect(url_for("public.thanks", token=token), code=303)
        except responses.SubmissionError as exc:
            attach_errors(form, exc.errors)
            status = 400
        except responses.ReceiptReused:
            form.transaction_ref.errors = [_("Số biên nhận này đã được dùng để đánh giá.")]
            status = 409
        except responses.DatabaseBusy:
            form.form_errors.append(
                _(
                    "Hệ thống đang bận nên câu trả lời của bạn chưa được gửi. Câu trả lời vẫn "
                    "còn trên trang: vui lòng bấm “Gửi đánh giá” lại sau ít giây."
                )
            )
            status, headers = 503, {"Retry-After": str(responses.RETRY_AFTER_SECONDS)}
    elif form.is_submitted():
        status = 400
    if not form.idempotency_key.data:
        form.idempotency_key.data = uuid.uuid4().hex
    return (
        render_template(
            "public/form.html",
            form=form,
            q=q,
            shown=shown,
            more=MORE,
            counter=counter,
            locale=locale,
            place=counter.place_name or counter.unit_name,
            procedures=counter.procedures[:40],
            dossier_lookup=url_for("public.dossier_lookup", token=token),
        ),
        status,
        headers,
    )


@bp.route("/f/<token>/cam-on")
def thanks(token: str) -> str:
    counter = _counter_or_404(token)
    return render_template("public/thanks.html", counter=counter, token=token)


def attach_errors(form, errors: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
    form.form_errors = []
    for key, message in errors.items():
        name = key.removeprefix("answers.")
        if name == "idempotency_key":
            form.idempotency_key.data = None  # a tampered key is replaced, not kept
        elif name in form:
            form[name].errors = [str(message)]
        else:
            form.form_errors.append(str(message))
