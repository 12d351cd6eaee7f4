import pytest

from quiz.accounts.passwords import MAX_LENGTH, MIN_LENGTH, PasswordPolicyError, check_policy, common_passwords


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
    try:
        check_policy(password, username="cadre1")
    except PasswordPolicyError as exc:
        pytest.fail(f"{password!r} refused: {exc}")


@pytest.mark.parametrize("password", [
    # from Django's list (breach corpora): the most common that are long enough
    "123456789", "password1", "iloveyou", "1q2w3e4r5t", "qwertyuiop", "sunshine", "Football", "PRINCESS",
    # patterns common among Chinese users
    "woaini1314", "5201314a", "qq123456", "zhang123", "wangwei520", "147258369", "zhang1985", "Beijing2008",
    # words of this platform's users
    "zuzhibu123", "dangjian123",
])
def test_known_common_passwords_are_refused_in_any_case(password):
    """ASVS 6.2.4: the list is checked case-insensitively."""
    with pytest.raises(PasswordPolicyError) as info:
        check_policy(password)
    assert "过于常见" in str(info.value)


def test_the_list_holds_at_least_3000_passwords_that_the_other_rules_accept():
    """6.2.4 asks for the top 3,000 (or more) *that fit the policy*: entries the length and
    variety rules refuse anyway would pad the count without protecting anyone."""
    fitting = [p for p in common_passwords() if MIN_LENGTH <= len(p) <= MAX_LENGTH and len(set(p)) >= 4]
    assert len(fitting) >= 3000
    assert len(fitting) == len(common_passwords())  # nothing in the files is there only to pad it


def test_a_roster_generated_hash_is_topped_up_to_a_scrypt_check_and_a_persons_is_not(session, monkeypatch):
    """Timing must not tell which accounts hold a cheap roster-generated hash (hash_generated_password)."""
    from quiz.accounts import services
    from quiz.accounts.passwords import generate_password, hash_generated_password
    from tests.factories import make_user

    generated = generate_password()
    roster_user = make_user(session, "roster1")
    roster_user.password_hash = hash_generated_password(generated)
    own_user = make_user(session, "own1")
    session.flush()
    checked: list[str] = []
    real = services.verify_password
    monkeypatch.setattr(services, "verify_password", lambda h, p: checked.append(h.split("$")[0]) or real(h, p))
    assert services.authenticate(session, "roster1", generated).user is roster_user
    assert checked == ["scrypt:32768:8:1", "pbkdf2:sha256:10000"]
    checked.clear()
    assert services.authenticate(session, "own1", "wrong-password").user is None
    assert checked == [own_user.password_hash.split("$")[0]]
