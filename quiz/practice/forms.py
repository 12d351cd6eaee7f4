"""WTForms for the practice pages. Forms parse and check shape; the practice services decide."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange

from quiz.practice.models import TITLE_MAX
from quiz.practice.services import RANDOM_DEFAULT, RANDOM_MAX

TYPE_CHOICES = [
    SelectChoice("", _l("不限题型")),
    SelectChoice("single", _l("单选")),
    SelectChoice("multiple", _l("多选")),
    SelectChoice("true_false", _l("判断")),
    SelectChoice("fill_blank", _l("填空")),
    SelectChoice("short_answer", _l("简答")),
]
DIFFICULTY_CHOICES = [
    SelectChoice("1-5", _l("不限难度")),
    SelectChoice("1-2", _l("容易（1–2）")),
    SelectChoice("3-3", _l("中等（3）")),
    SelectChoice("4-5", _l("较难（4–5）")),
]


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class RandomForm(FlaskForm):
    """随机练习: how many questions, and the filters (each may be left open)."""

    count = IntegerField(_l("题数"), default=RANDOM_DEFAULT,
                         validators=[DataRequired(message=_l("请输入题数")), NumberRange(min=1, max=RANDOM_MAX, message=_l("题数应在 1 到 50 之间"))])
    subject_id = SelectField(_l("科目"), coerce=_optional_int, validate_choice=True)
    knowledge_point_id = SelectField(_l("知识点"), coerce=_optional_int, validate_choice=True)
    type = SelectField(_l("题型"), choices=TYPE_CHOICES, default="")
    difficulty = SelectField(_l("难度"), choices=DIFFICULTY_CHOICES, default="1-5")
    bank_id = SelectField(_l("题库"), coerce=_optional_int, validate_choice=True)


class MockPaperForm(FlaskForm):
    """An organizer offers one of their papers for mock exams."""

    paper_id = SelectField(_l("试卷"), coerce=int, validators=[DataRequired(message=_l("请选择试卷"))])
    title = StringField(_l("名称"), validators=[DataRequired(message=_l("请输入名称")), Length(max=TITLE_MAX)])
    time_limit_minutes = IntegerField(_l("限时（分钟）"), default=60,
                                      validators=[DataRequired(message=_l("请输入限时")), NumberRange(min=1, max=600, message=_l("限时应在 1 到 600 分钟之间"))])
    org_unit_id = SelectField(_l("开放给"), coerce=int)

