import pytest

from quiz.accounts.passwords import PasswordPolicyError, check_policy


@pytest.mark.parametrize(
    ("password", "username", "fragment"),
    [
        ("short1", "", "至少需要 8 位"),
        ("123456789", "", "过于常见"),
        ("woaini1314", "", "过于常见"),
        ("P@ssw0rd", "", "过于常见"),
        ("zhangsan2026!", "zhangsan", "不能包含账号名"),
        ("aaaaaaaaaaa", "", "字符种类太少"),
    ],
)
def test_policy_refuses_weak_passwords_with_the_reason(password, username, fragment):
    with pytest.raises(PasswordPolicyError) as info:
        check_policy(password, username=username)
    assert fragment in str(info.value)


@pytest.mark.parametrize("password", ["zugong2026", "Dangjian@Henan9", "长城长江黄河2026"])
def test_policy_accepts_reasonable_passwords(password):
    check_policy(password, username="cadre1")
