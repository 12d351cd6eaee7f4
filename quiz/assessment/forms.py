"""Forms of the assessment pages. The plan form has a fixed number of component and band rows
(blank rows are ignored), so it works without script on a phone."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import FieldList, Form, FormField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields import DecimalField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

COMPONENT_ROWS = 6
BAND_ROWS = 5

KIND_CHOICES = [
    SelectChoice("", _l("（不使用）")),
    SelectChoice("contest", _l("竞赛成绩")),
    SelectChoice("practice_volume", _l("练习题量")),
    SelectChoice("practice_accuracy", _l("练习正确率")),
    SelectChoice("manual", _l("人事录入（如现场竞赛）")),
    SelectChoice("hours", _l("学时完成率")),
]
COUNT_CHOICES = [
    SelectChoice("", _l("按竞赛自身设置")),
    SelectChoice("best", _l("取最高分")),
    SelectChoice("last", _l("取最后一次")),
]
PRESET_CHOICES = [
    SelectChoice("default", _l("优秀 / 良好 / 合格 / 不合格（90 / 80 / 60）")),
    SelectChoice("civil_service", _l("公务员考核等次：优秀 / 称职 / 基本称职 / 不称职（90 / 75 / 60）")),
    SelectChoice("custom", _l("自定义（按下方填写）")),
]


class ComponentForm(Form):
    key = HiddenField()  # the component's stable key (entries and exemptions refer to it); blank on a new row
    kind = SelectField(_l("类型"), choices=KIND_CHOICES, default="")
    name = StringField(_l("名称"), validators=[Optional(), Length(max=50)])
    weight = DecimalField(_l("权重"), places=None, validators=[Optional()])
    contest_id = SelectField(_l("竞赛"), coerce=int, choices=[], validate_choice=False, default=0)
    counts = SelectField(_l("计分"), choices=COUNT_CHOICES, default="")
    target = IntegerField(_l("目标题量"), validators=[Optional(), NumberRange(min=1, max=1_000_000)])
    max = DecimalField(_l("满分"), places=None, validators=[Optional()])


class BandForm(Form):
    name = StringField(_l("等次"), validators=[Optional(), Length(max=20)])
    minimum = DecimalField(_l("最低分"), places=None, validators=[Optional()])


class PlanForm(FlaskForm):
    title = StringField(_l("方案名称"), validators=[DataRequired(message=_l("请填写方案名称")), Length(max=200)])
    year = IntegerField(_l("考核年度"), validators=[InputRequired(message=_l("请填写考核年度")), NumberRange(min=2000, max=2100, message=_l("考核年度应在 2000 到 2100 之间"))])
    org_unit_id = SelectField(_l("考核范围（单位及其下级）"), coerce=int)
    description = TextAreaField(_l("说明"), validators=[Optional(), Length(max=2000)])
    components = FieldList(FormField(ComponentForm), min_entries=COMPONENT_ROWS, max_entries=COMPONENT_ROWS)
    preset = SelectField(_l("等次设置"), choices=PRESET_CHOICES, default="default")
    bands = FieldList(FormField(BandForm), min_entries=BAND_ROWS, max_entries=BAND_ROWS)
    excellent_cap = DecimalField(_l("优秀比例上限（%）"), places=None, validators=[Optional()])
    hours_required = DecimalField(_l("年度学时要求"), places=None, validators=[InputRequired(message=_l("请填写年度学时要求"))], default=50)
    per_passed_contest = DecimalField(_l("每通过一次竞赛计学时"), places=None, validators=[Optional()], default=0.5)
    per_passed_mock = DecimalField(_l("每通过一次模拟考试计学时"), places=None, validators=[Optional()], default=0.5)
    per_practice_hour = DecimalField(_l("每练习 1 小时计学时"), places=None, validators=[Optional()], default=1)

    def plan_fields(self, keys: frozenset[str] = frozenset()) -> dict:
        """The form as ``services.create_plan`` keywords (checked there). A row keeps its key if it
        is one of ``keys`` (the plan's components when it was opened), wherever the row now stands;
        other rows get no key, and the service gives them new ones."""
        components = []
        for row in self.components.entries:
            c = row.form
            if not c.kind.data:
                continue
            item = {"key": c.key.data if c.key.data in keys else None, "name": (c.name.data or "").strip(), "weight": c.weight.data}
            if c.kind.data == "contest":
                item.update(kind="contest", contest_id=c.contest_id.data or None, counts=c.counts.data or None)
            elif c.kind.data in ("practice_volume", "practice_accuracy"):
                item.update(kind="practice", measure=c.kind.data.split("_")[1], target=c.target.data)
            elif c.kind.data == "manual":
                item.update(kind="manual", max=c.max.data if c.max.data is not None else 100)
            else:
                item.update(kind="hours", key="hours")
            components.append(item)
        from quiz.assessment.rules import BAND_PRESETS

        if self.preset.data == "custom":
            bands = [[b.form.name.data, b.form.minimum.data] for b in self.bands.entries if (b.form.name.data or "").strip()]
        else:
            bands = BAND_PRESETS.get(self.preset.data, BAND_PRESETS["default"])
        return {
            "title": self.title.data, "year": self.year.data, "org_unit_id": self.org_unit_id.data, "description": self.description.data,
            "components": components, "grade_bands": bands, "excellent_cap": self.excellent_cap.data,
            "hours_required": self.hours_required.data,
            "hours_rule": {"per_passed_contest": self.per_passed_contest.data or 0, "per_passed_mock": self.per_passed_mock.data or 0,
                           "per_practice_hour": self.per_practice_hour.data or 0},
        }


class AdjustForm(FlaskForm):
    total = DecimalField(_l("调整后的总分"), places=None, validators=[Optional(), NumberRange(min=0, max=100, message=_l("总分应在 0 到 100 之间"))])
    reason = TextAreaField(_l("调整原因"), validators=[DataRequired(message=_l("请填写调整原因")), Length(max=1000)])


class ExemptionForm(FlaskForm):
    username = StringField(_l("账号"), validators=[DataRequired(message=_l("请输入干部的账号")), Length(max=64)])
    component_key = SelectField(_l("免考项目"), choices=[])
    reason = StringField(_l("免考原因"), validators=[DataRequired(message=_l("请填写免考原因")), Length(max=500)])


class EntryUploadForm(FlaskForm):
    key = SelectField(_l("导入项目"), choices=[])
    file = FileField(_l("文件（.xlsx 或 .csv）"), validators=[FileRequired(message=_l("请选择文件"))])


class EntryRowForm(Form):
    key = HiddenField()
    value = DecimalField(_l("数值"), places=None, validators=[Optional(), NumberRange(min=0, message=_l("数值不能为负数"))])
    note = StringField(_l("说明"), validators=[Optional(), Length(max=500)])


class CadreEntriesForm(FlaskForm):
    """One cadre's values for the plan's manual components and extra 学时, typed by hand: one row per
    item (``services.manual_keys``), built with ``data={"rows": [...]}``; a blank value removes it."""
    rows = FieldList(FormField(EntryRowForm), min_entries=0, max_entries=40)


class ConfirmForm(FlaskForm):
    """A POST with a CSRF token, behind a confirmation step."""


class TokenConfirmForm(FlaskForm):
    token = HiddenField()
    key = HiddenField()


class DeleteForm(FlaskForm):
    exemption_id = HiddenField()
