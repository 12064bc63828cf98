"""One builder turns a questionnaire definition into a Flask-WTF form class."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from forms import CHANNELS, Questionnaire

NO_OPINION = "0"

CHANNEL_LABELS = {
    "truc_tiep": _l("Trực tiếp tại quầy"),
    "truc_tuyen_toan_trinh": _l("Trực tuyến toàn trình"),
    "truc_tuyen_mot_phan": _l("Trực tuyến một phần"),
    "buu_chinh": _l("Qua bưu chính"),
}


class ChoiceRadio(RadioField):
    """A radio group whose unknown values get a friendly, translated message."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self._several = len(valuelist) > 1  # a radio group sends one value, never more
        super().process_formdata(valuelist)

    def pre_validate(self, form: Any) -> None:
        if getattr(self, "_several", False):
            raise ValidationError(_("Câu trả lời không nằm trong các lựa chọn của câu hỏi."))
        if self.data in (None, ""):
            return
        if not any(str(choice.value) == str(self.data) for choice in self.iter_choices()):
            raise ValidationError(_("Câu trả lời không nằm trong các lựa chọn của câu hỏi."))


class PublicFormBase(FlaskForm):
    """Context fields shared by every questionnaire; CSRF comes from FlaskForm."""

    idempotency_key = HiddenField()
    procedure = StringField(_l("Thủ tục đã làm"), validators=[Optional(), Length(max=600)])
    channel = ChoiceRadio(
        _l("Hình thức nộp hồ sơ"),
        choices=[SelectChoice(c, CHANNEL_LABELS[c]) for c in CHANNELS],
        validators=[Optional()],
    )
    transaction_ref = StringField(
        _l("Số biên nhận (nếu có)"), validators=[Optional(), Length(max=64)]
    )
    comment = TextAreaField(_l("Ý kiến khác"), validators=[Optional()])


def build_form_class(q: Questionnaire, locale: str) -> type[PublicFormBase]:
    """A form class with one optional radio group per item of ``q`` (plus "no opinion")."""

    class QuestionnaireForm(PublicFormBase):
        pass

    for item in q.items:
        choices = [SelectChoice(str(o.value), o.label.get(locale)) for o in item.scale.options]
        if item.scale.no_opinion:
            choices.append(SelectChoice(NO_OPINION, _("Không có ý kiến")))
        setattr(
            QuestionnaireForm,
            item.code,
            ChoiceRadio(item.text.get(locale), choices=choices, validators=[Optional()]),
        )
    return QuestionnaireForm


def answers_of(form: PublicFormBase, q: Questionnaire) -> dict[str, Any]:
    """The answered items of a posted form ("no opinion" and blanks left out)."""
    return {
        item.code: form[item.code].data
        for item in q.items
        if form[item.code].data not in (None, NO_OPINION)
    }
