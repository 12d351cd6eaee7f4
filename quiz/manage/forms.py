"""WTForms for the organizer's contest pages. Forms parse and check shape; the contest services decide.

Field names are the model's column names (``Paper``, ``PaperRule``, ``Contest``), so a form's data
goes to ``create_*``/``update_*`` without renaming. Choices that depend on the organizer (units,
banks, papers, subjects, knowledge points) are set by the views.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FieldList,
    FloatField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from quiz.bank.forms import TYPE_CHOICES
from quiz.contests.models import TITLE_MAX
from quiz.contests.services import MAX_POOL_SIZE, MAX_TIME_LIMIT_MINUTES

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"

MODE_CHOICES = [SelectChoice("rules", _l("按规则抽题")), SelectChoice("fixed", _l("固定题目"))]
DRAW_CHOICES = [SelectChoice("shared", _l("统一试卷（所有人同一份题）")), SelectChoice("per_attempt", _l("千人千卷（每份答卷各自抽题）"))]
MULTIPLE_CHOICES = [
    SelectChoice("all_or_nothing", _l("全对才得分")),
    SelectChoice("partial", _l("少选得部分分（错选不得分）")),
    SelectChoice("per_option", _l("按选对的选项比例得分（错选不得分）")),
]
DIFFICULTY_CHOICES = [SelectChoice(d, str(d)) for d in range(1, 6)]
COUNT_CHOICES = [SelectChoice("best", _l("取最高分")), SelectChoice("last", _l("取最后一次"))]
RELEASE_CHOICES = [
    SelectChoice("immediately", _l("交卷后立即显示")),
    SelectChoice("after_close", _l("竞赛结束后显示")),
    SelectChoice("manual", _l("由组织者手动公布")),
]
LEADERBOARD_CHOICES = [
    SelectChoice("hidden", _l("不公开（仅组织者可见）")),
    SelectChoice("after_close", _l("竞赛结束后公开")),
    SelectChoice("live", _l("竞赛进行中实时公开")),
]
ROLE_CHOICES = [
    SelectChoice("cadre", _l("干部")),
    SelectChoice("organizer", _l("组织者")),
    SelectChoice("hr", _l("人事")),
    SelectChoice("admin", _l("管理员")),
]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


# ---- papers ------------------------------------------------------------------------------------


class PaperSettingsMixin:
    title = StringField(_l("试卷名称"), validators=[DataRequired(message=_l("请输入试卷名称")), Length(max=TITLE_MAX)])
    draw = RadioField(_l("发卷方式"), choices=DRAW_CHOICES, default="shared")
    pool_size = IntegerField(_l("千人千卷预先抽取的试卷份数"), default=50,
                             validators=[Optional(), NumberRange(min=1, max=MAX_POOL_SIZE, message=_l("份数应在 1 到 500 之间"))])
    shuffle_questions = BooleanField(_l("打乱题目顺序（每份答卷各不相同）"), default=True)
    shuffle_options = BooleanField(_l("打乱选项顺序"), default=True)
    multiple_mode = SelectField(_l("多选题计分"), choices=MULTIPLE_CHOICES, default="all_or_nothing")
    multiple_fraction = FloatField(_l("少选得分比例（0–1）"), default=0.5,
                                   validators=[Optional(), NumberRange(min=0, max=1, message=_l("比例应在 0 到 1 之间"))])


class PaperNewForm(PaperSettingsMixin, FlaskForm):
    org_unit_id = SelectField(_l("所属单位"), coerce=int)
    mode = RadioField(_l("组卷方式"), choices=MODE_CHOICES, default="rules")


class RuleForm(Form):
    """One draw rule. A row with neither a bank nor a count is an unused blank row."""

    position = IntegerField(_l("顺序"), validators=[Optional()])
    bank_ids = MultiCheckboxField(_l("题库"), coerce=int, validate_choice=True)
    subject_id = SelectField(_l("科目"), coerce=int, default=0)
    knowledge_point_ids = SelectMultipleField(_l("知识点（任一）"), coerce=int)
    type = SelectField(_l("题型"), choices=[SelectChoice("", _l("不限"))] + TYPE_CHOICES, default="")
    difficulty_min = SelectField(_l("难度从"), choices=DIFFICULTY_CHOICES, coerce=int, default=1)
    difficulty_max = SelectField(_l("难度到"), choices=DIFFICULTY_CHOICES, coerce=int, default=5)
    count = IntegerField(_l("题数"), validators=[Optional(), NumberRange(min=1, max=1000, message=_l("题数应在 1 到 1000 之间"))])
    points_each = FloatField(_l("每题分值"), default=2.0,
                             validators=[Optional(), NumberRange(min=0, max=1000, message=_l("分值应在 0 到 1000 之间"))])
    remove = BooleanField(_l("删除这条规则"))

    def is_blank(self) -> bool:
        return not self.bank_ids.data and self.count.data is None


class ItemForm(Form):
    """One question of a fixed paper."""

    question_id = HiddenField()
    position = IntegerField(_l("顺序"), validators=[Optional()])
    points = FloatField(_l("分值"), validators=[Optional(), NumberRange(min=0, max=1000, message=_l("分值应在 0 到 1000 之间"))])
    remove = BooleanField(_l("移出试卷"))


class PaperEditForm(PaperSettingsMixin, FlaskForm):
    rules = FieldList(FormField(RuleForm), min_entries=0, max_entries=100)
    items = FieldList(FormField(ItemForm), min_entries=0, max_entries=1000)


class AddQuestionForm(FlaskForm):
    question_id = IntegerField(validators=[DataRequired()])
    points = FloatField(_l("分值"), default=2.0, validators=[Optional(), NumberRange(min=0, max=1000)])


# ---- contests ----------------------------------------------------------------------------------


class ContestForm(FlaskForm):
    """Every setting of a contest. The window is entered in local time (QUIZ_TIMEZONE); the view
    converts it to UTC. Once published, the view removes the fields the service no longer allows."""

    title = StringField(_l("竞赛名称"), validators=[DataRequired(message=_l("请输入竞赛名称")), Length(max=TITLE_MAX)])
    paper = SelectField(_l("试卷"), coerce=int)
    notice = TextAreaField(_l("竞赛须知"), validators=[Optional(), Length(max=5000)])
    opens_at = DateTimeLocalField(_l("开始时间"), format=DATETIME_FORMAT,
                                  validators=[DataRequired(message=_l("请填写开始时间"))])
    closes_at = DateTimeLocalField(_l("结束时间"), format=DATETIME_FORMAT,
                                   validators=[DataRequired(message=_l("请填写结束时间"))])
    time_limit_minutes = IntegerField(_l("答题时长（分钟）"), validators=[
        Optional(), NumberRange(min=1, max=MAX_TIME_LIMIT_MINUTES, message=_l("答题时长应在 1 到 1440 分钟之间"))])
    attempts_allowed = IntegerField(_l("允许作答次数"), default=1,
                                    validators=[Optional(), NumberRange(min=1, max=100, message=_l("次数应在 1 到 100 之间"))])
    counts = RadioField(_l("多次作答时计入成绩的一次"), choices=COUNT_CHOICES, default="best")
    eligible_unit_ids = MultiCheckboxField(_l("参赛单位（含下级单位）"), coerce=int)
    eligible_roles = MultiCheckboxField(_l("参赛角色"), choices=ROLE_CHOICES)
    pass_score = FloatField(_l("及格分"), validators=[Optional(), NumberRange(min=0, message=_l("及格分不能为负数"))])
    release = RadioField(_l("成绩公布"), choices=RELEASE_CHOICES, default="immediately")
    review_after_close = BooleanField(_l("竞赛结束后允许查看答卷和解析"))
    leaderboard = RadioField(_l("排行榜"), choices=LEADERBOARD_CHOICES, default="after_close")
    count_tab_switches = BooleanField(_l("记录切屏次数"), default=True)
    count_pastes = BooleanField(_l("记录粘贴次数"), default=True)
    auto_submit_after_switches = IntegerField(_l("切屏达到几次自动交卷"), validators=[
        Optional(), NumberRange(min=1, max=1000, message=_l("次数应在 1 到 1000 之间"))])
    one_page = BooleanField(_l("宽屏时所有题目显示在一页"))


class ExtendForm(FlaskForm):
    attempt_id = IntegerField(validators=[DataRequired()])
    minutes = IntegerField(_l("延长（分钟）"), default=10,
                           validators=[DataRequired(message=_l("请填写延长的分钟数")), NumberRange(min=1, max=1440, message=_l("延长时间应为 1 到 1440 分钟"))])


class ConfirmForm(FlaskForm):
    """An empty form: a POST with a CSRF token, behind a confirmation step."""
