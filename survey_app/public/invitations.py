"""A dossier's invitation, from the citizen's side: the short link, the form with the
dossier's procedure, channel, unit and counter already known, its thank-you, the friendly
pages of a used, expired or revoked link, and "Tôi có mã hồ sơ" on a counter's form.

Thin views over :mod:`survey_app.services.dossiers.invitations`; the form is drawn by the
counter form's template and form builder (:mod:`.formbuilder`), without the questions the
dossier answers.
"""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length, Optional

from survey_app.extensions import db
from survey_app.public.formbuilder import CHANNEL_LABELS, answers_of, build_form_class
from survey_app.public.views import MORE, _counter_or_404, attach_errors, bp
from survey_app.services import formatting
from survey_app.services.dossiers import invitations
from survey_app.services.ingest import ratelimit, responses

LOOKUP_LIMIT = "RATELIMIT_DOSSIER_LOOKUP"
LOOKUP_SCOPE = "dossier-lookup"


@bp.get("/h/<token>")
def short(token: str) -> ResponseReturnValue:
    """The SMS link: on to the long one (an unknown token is the citizen's 404 there)."""
    return redirect(url_for("public.invitation", token=token), code=302)


def _state_page(state: str, status: int) -> ResponseReturnValue:
    return render_template("public/invitation_state.html", state=state), status


@bp.route("/ho-so/<token>", methods=["GET", "POST"])
def invitation(token: str) -> ResponseReturnValue:
    found = invitations.lookup(token)
    if found.invitation is None:
        abort(404)
    if found.state == "used":
        return _state_page("used", 409 if request.method == "POST" else 200)
    if found.state != "ok":
        return _state_page(found.state, 410)
    ctx = invitations.context(found.invitation)
    shown = responses.public_form(ctx.info, request.args.get("phieu") == MORE)
    q = shown.questionnaire
    locale = str(get_locale() or "vi")
    form = build_form_class(q, locale)()
    status, headers = 200, {}
    if form.validate_on_submit():
        sub = responses.Submission(answers=answers_of(form, q), comment=form.comment.data)
        try:
            invitations.submit(ctx, q, sub)
            return redirect(url_for("public.invitation_thanks", token=token), code=303)
        except responses.SubmissionError as exc:
            attach_errors(form, exc.errors)
            status = 400
        except responses.AlreadyRated:
            return _state_page("used", 409)
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
    return (
        render_template(
            "public/invitation.html",
            form=form,
            q=q,
            shown=shown,
            more=MORE,
            counter=ctx.info,
            ctx=ctx,
            locale=locale,
            place=ctx.info.place_name or ctx.info.unit_name,
            received_on=formatting.day(ctx.received_on, locale),
            channel_label=CHANNEL_LABELS.get(ctx.channel or ""),
        ),
        status,
        headers,
    )


@bp.get("/ho-so/<token>/cam-on")
def invitation_thanks(token: str) -> ResponseReturnValue:
    found = invitations.lookup(token)
    if found.invitation is None:
        abort(404)
    if found.state != "used":
        return redirect(url_for("public.invitation", token=token), code=303)
    return _state_page("thanks", 200)


class LookupForm(FlaskForm):
    code = StringField(_l("Mã hồ sơ"), validators=[Optional(), Length(max=80)])


NOT_USABLE = _l(
    "Không thể dùng mã hồ sơ này để đánh giá tại đây. Ông/Bà vẫn có thể đánh giá bằng "
    "phiếu của quầy, hoặc bằng đường dẫn trong tin nhắn, phiếu hẹn trả kết quả."
)


@bp.route("/f/<token>/ma-ho-so", methods=["GET", "POST"])
def dossier_lookup(token: str) -> ResponseReturnValue:
    """ "Tôi có mã hồ sơ": a dossier received in this counter's unit subtree, not yet rated,
    continues to its invitation; anything else gets one neutral message. Each attempt
    counts against ``RATELIMIT_DOSSIER_LOOKUP`` for the client."""
    counter = _counter_or_404(token)
    form = LookupForm()
    status, message = 200, ""
    if form.is_submitted():
        wait = ratelimit.wait_seconds(LOOKUP_LIMIT, LOOKUP_SCOPE)
        if wait:
            page = render_template("public/limited.html", counter=counter, lookup=True)
            return page, 429, {"Retry-After": str(wait)}
        if form.validate():
            ratelimit.count(LOOKUP_LIMIT, LOOKUP_SCOPE)
            link = invitations.find_for_counter(form.code.data or "", counter)
            if link is not None:
                db.session.commit()  # an invitation made for the dossier
                return redirect(url_for("public.invitation", token=link.invitation.token), 303)
            message = str(NOT_USABLE)
        else:
            status = 400
    return (
        render_template(
            "public/lookup.html",
            form=form,
            counter=counter,
            token=token,
            message=message,
            locale=str(get_locale() or "vi"),
        ),
        status,
    )
