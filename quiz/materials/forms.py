"""WTForms for the material pages. Forms check shape; ``question_bank.materials`` decides."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from question_bank.materials.models import EDITION_NAME_MAX, ISSUER_MAX, TITLE_MAX

MAX_TEXT = 2_000_000


class _TextSource:
    """A file or pasted text, one of them required."""

    def validate(self, extra_validators=None):  # type: ignore[override]
        ok = super().validate(extra_validators)  # type: ignore[misc]
        if ok and not self.file.data and not (self.text.data or "").strip():  # type: ignore[attr-defined]
            self.text.errors.append(_l("请上传文件或粘贴正文"))  # type: ignore[attr-defined]
            return False
        return ok


class MaterialForm(_TextSource, FlaskForm):
    title = StringField(_l("资料名称"), validators=[DataRequired(message=_l("请填写资料名称")), Length(max=TITLE_MAX)])
    issuer = StringField(_l("发文机关"), validators=[Optional(), Length(max=ISSUER_MAX)])
    edition_name = StringField(_l("版本"), validators=[Optional(), Length(max=EDITION_NAME_MAX)])
    issued_on = DateField(_l("发布或施行日期"), validators=[Optional()])
    subject_id = SelectField(_l("科目"), coerce=int, default=0)
    org_unit_id = SelectField(_l("所属单位"), coerce=int)
    file = FileField(_l("上传文件（.txt 或 .docx）"))
    text = TextAreaField(_l("或粘贴正文"), validators=[Optional(), Length(max=MAX_TEXT)])


class EditionForm(_TextSource, FlaskForm):
    edition_name = StringField(_l("版本"), validators=[DataRequired(message=_l("请填写版本名称，如“2024年修订”")), Length(max=EDITION_NAME_MAX)])
    issued_on = DateField(_l("发布或施行日期"), validators=[Optional()])
    title = StringField(_l("新版本的资料名称（未改名可不填）"), validators=[Optional(), Length(max=TITLE_MAX)])
    file = FileField(_l("上传文件（.txt 或 .docx）"))
    text = TextAreaField(_l("或粘贴正文"), validators=[Optional(), Length(max=MAX_TEXT)])


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class AcceptForm(FlaskForm):
    bank_id = SelectField(_l("放入题库"), coerce=int, validators=[DataRequired(message=_l("请选择题库"))])
    stem = TextAreaField(_l("题干"), validators=[DataRequired(message=_l("请输入题干")), Length(max=5000)])
    answer = StringField(_l("答案"), validators=[Optional(), Length(max=2000)])
    true_false = RadioField(_l("答案"), choices=[SelectChoice("true", _l("对")), SelectChoice("false", _l("错"))], validators=[Optional()])
    explanation = TextAreaField(_l("解析"), validators=[Optional(), Length(max=5000)])
    difficulty = SelectField(_l("难度"), coerce=int, default=3, choices=[
        SelectChoice(1, _l("1 易")), SelectChoice(2, _l("2 较易")), SelectChoice(3, _l("3 中")),
        SelectChoice(4, _l("4 较难")), SelectChoice(5, _l("5 难")),
    ])
