from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, PasswordField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

ROLE_CHOICES = [
    SelectChoice("cadre", _l("干部")),
    SelectChoice("organizer", _l("组织者")),
    SelectChoice("hr", _l("人事")),
    SelectChoice("admin", _l("管理员")),
]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UnitForm(FlaskForm):
    name = StringField(_l("单位名称"), validators=[DataRequired(message=_l("请输入单位名称")), Length(max=100)])
    parent_id = SelectField(_l("上级单位"), coerce=int)


class RenameUnitForm(FlaskForm):
    name = StringField(_l("新名称"), validators=[DataRequired(message=_l("请输入单位名称")), Length(max=100)])


class MoveUnitForm(FlaskForm):
    parent_id = SelectField(_l("移到"), coerce=int)


class ConfirmForm(FlaskForm):
    """An empty form: a POST with a CSRF token, behind a confirmation step."""


class UserForm(FlaskForm):
    username = StringField(_l("账号"), validators=[DataRequired(message=_l("请输入账号")), Length(max=64)])
    name = StringField(_l("姓名"), validators=[DataRequired(message=_l("请输入姓名")), Length(max=64)])
    org_unit_id = SelectField(_l("单位"), coerce=int)
    position = StringField(_l("职务"), validators=[Optional(), Length(max=100)])
    phone = StringField(_l("手机"), validators=[Optional(), Length(max=32)])
    roles = MultiCheckboxField(_l("角色"), choices=ROLE_CHOICES, default=["cadre"])
    password = PasswordField(_l("初始密码"), validators=[Optional(), Length(max=128)])
    generate = BooleanField(_l("由系统生成初始密码（只显示一次）"), default=False)


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("新的初始密码"), validators=[Optional(), Length(max=128)])
    generate = BooleanField(_l("由系统生成初始密码（只显示一次）"), default=False)


class RosterUploadForm(FlaskForm):
    file = FileField(_l("名单文件（xlsx 或 csv）"), validators=[FileRequired(message=_l("请选择文件"))])


class RosterConfirmForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])
    # anything but "typed" generates (the default and the safe choice: ASVS 6.4.1, 6.4.6)
    password_mode = RadioField(_l("新账号的初始密码"), default="generate", validate_choice=False, choices=[
        SelectChoice("generate", _l("由系统为每人分别生成（推荐）：导入后下载一次密码名单")),
        SelectChoice("typed", _l("所有新账号使用我设置的同一个初始密码")),
    ])
    initial_password = PasswordField(_l("同一个初始密码"), validators=[Optional(), Length(max=128)])
