"""WTForms for the organizer's bank pages. Forms parse and check shape; the bank services decide."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, FieldList, FloatField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from question_bank.drafts import MAX_OPTIONS
from question_bank.models import BANK_NAME_MAX

TYPE_CHOICES = [
    SelectChoice("single", _l("单选")),
    SelectChoice("multiple", _l("多选")),
    SelectChoice("true_false", _l("判断")),
    SelectChoice("fill_blank", _l("填空")),
    SelectChoice("short_answer", _l("简答")),
]
STATUS_CHOICES = [
    SelectChoice("active", _l("启用")),
    SelectChoice("draft", _l("草稿")),
    SelectChoice("retired", _l("停用")),
]
DIFFICULTY_CHOICES = [
    SelectChoice(1, _l("1 易")),
    SelectChoice(2, _l("2 较易")),
    SelectChoice(3, _l("3 中")),
    SelectChoice(4, _l("4 较难")),
    SelectChoice(5, _l("5 难")),
]
# Import formats: the registry's names (question_bank.formats), "auto" detecting from content.
IMPORT_FORMAT_CHOICES = [
    SelectChoice("auto", _l("自动识别")),
    SelectChoice("xlsx", _l("Excel 题库导入模板（.xlsx）")),
    SelectChoice("docx", _l("Word 文档（.docx）")),
    SelectChoice("txt", _l("文本（.txt，Word 题库格式）")),
    SelectChoice("gift", _l("GIFT（Moodle）")),
    SelectChoice("moodle_xml", _l("Moodle XML")),
    SelectChoice("aiken", _l("Aiken（Moodle）")),
    SelectChoice("csv", _l("CSV 题库导入模板（.csv）")),
    SelectChoice("yfexam", _l("云帆考试系统（yf-exam）导出的 Excel")),
    SelectChoice("json", _l("JSON 题目列表（.json）")),
]
EXPORT_FORMAT_CHOICES = [
    SelectChoice("xlsx", _l("Excel 题库导入模板（.xlsx）")),
    SelectChoice("gift", _l("GIFT（Moodle）")),
    SelectChoice("moodle_xml", _l("Moodle XML")),
]
DUPLICATE_CHOICES = [
    SelectChoice("skip", _l("跳过重复的题目")),
    SelectChoice("new_version", _l("作为已有题目的新版本加入")),
]


class BankForm(FlaskForm):
    name = StringField(_l("题库名称"), validators=[DataRequired(message=_l("请输入题库名称")), Length(max=BANK_NAME_MAX)])
    description = TextAreaField(_l("说明"), validators=[Optional(), Length(max=2000)])
    org_unit_id = SelectField(_l("所属单位"), coerce=int)
    confidential = BooleanField(_l("保密题库（竞赛使用期间，练习中不出现其题目）"))


class BankEditForm(FlaskForm):
    name = StringField(_l("题库名称"), validators=[DataRequired(message=_l("请输入题库名称")), Length(max=BANK_NAME_MAX)])
    description = TextAreaField(_l("说明"), validators=[Optional(), Length(max=2000)])
    confidential = BooleanField(_l("保密题库（竞赛使用期间，练习中不出现其题目）"))
    archived = BooleanField(_l("归档（不再出现在题库列表和新试卷中，已有答卷不受影响）"))


class QuestionForm(FlaskForm):
    type = SelectField(_l("题型"), choices=TYPE_CHOICES, default="single")
    stem = TextAreaField(_l("题干"), validators=[DataRequired(message=_l("请输入题干")), Length(max=5000)])
    options = FieldList(StringField(validators=[Optional(), Length(max=1000)]), min_entries=MAX_OPTIONS, max_entries=MAX_OPTIONS)
    answer = StringField(_l("答案"), validators=[Optional(), Length(max=2000)])
    true_false = RadioField(_l("答案"), choices=[SelectChoice("true", _l("对")), SelectChoice("false", _l("错"))], validators=[Optional()])
    reference = TextAreaField(_l("参考答案"), validators=[Optional(), Length(max=5000)])
    keywords = StringField(_l("评分关键词"), validators=[Optional(), Length(max=2000)])
    explanation = TextAreaField(_l("解析"), validators=[Optional(), Length(max=5000)])
    difficulty = SelectField(_l("难度"), choices=DIFFICULTY_CHOICES, coerce=int, default=3)
    points = FloatField(_l("分值"), validators=[Optional(), NumberRange(min=0.01, max=1000, message=_l("分值应为大于 0 的数"))])
    subject_id = SelectField(_l("科目"), coerce=int, default=0)
    knowledge_points = StringField(_l("知识点"), validators=[Optional(), Length(max=1000)])
    source = StringField(_l("出处"), validators=[Optional(), Length(max=1000)])
    status = SelectField(_l("状态"), choices=STATUS_CHOICES, default="active")


class ImportForm(FlaskForm):
    file = FileField(_l("题库文件"))
    format = SelectField(_l("文件格式"), choices=IMPORT_FORMAT_CHOICES, default="auto")
    text = TextAreaField(_l("或者直接粘贴题目文本（Word 题库格式）"), validators=[Optional()])


class ImportConfirmForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])
    format = HiddenField()
    duplicates = RadioField(_l("重复的题目"), choices=DUPLICATE_CHOICES, default="skip")


class ConfirmForm(FlaskForm):
    """An empty form: a POST with a CSRF token, behind a confirmation step."""
