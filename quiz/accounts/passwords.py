"""Password hashing and the password policy (length, not a common password, not the account name)."""
from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from question_bank.messages import BankError, N_

MIN_LENGTH = 8
MAX_LENGTH = 128


class PasswordPolicyError(BankError):
    pass


COMMON_PASSWORD_FILES = ("common-passwords.txt", "common-passwords-zh.txt")  # provenance: quiz/data/SOURCES.md


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The refused list (ASVS 6.2.4): Django's list of common passwords, filtered to those the
    other rules would accept, and patterns common among Chinese users (pinyin, 5201314, qq123456)."""
    data = Path(__file__).resolve().parent.parent / "data"
    return frozenset(line.strip().lower() for name in COMMON_PASSWORD_FILES
                     for line in (data / name).read_text(encoding="utf-8").splitlines() if line.strip())


def check_policy(password: str, *, username: str = "") -> None:
    """Raise PasswordPolicyError naming the first rule the password breaks."""
    if len(password) < MIN_LENGTH:
        raise PasswordPolicyError(N_("密码至少需要 %(n)d 位"), n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise PasswordPolicyError(N_("密码不能超过 %(n)d 位"), n=MAX_LENGTH)
    lowered = password.lower()
    if lowered in common_passwords():
        raise PasswordPolicyError(N_("这个密码过于常见，容易被猜中，请换一个"))
    if username and username.lower() in lowered:
        raise PasswordPolicyError(N_("密码不能包含账号名"))
    if len(set(password)) < 4:
        raise PasswordPolicyError(N_("密码的字符种类太少，请混合使用字母、数字或符号"))


GENERATED_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/l/I: read aloud or copied by hand


def generate_password() -> str:
    """A system-generated initial password (ASVS 6.4.1): 12 random characters in three groups,
    about 69 bits; it passes the policy like any other and must be changed at first sign-in."""
    while True:
        raw = "".join(secrets.choice(GENERATED_ALPHABET) for _ in range(12))
        password = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
        try:
            check_policy(password)
        except PasswordPolicyError:  # practically never (too few different characters)
            continue
        return password


def hash_password(password: str) -> str:
    return generate_password_hash(password)


GENERATED_HASH_METHOD = "pbkdf2:sha256:10000"


def hash_generated_password(password: str) -> str:
    """The hash of a ``generate_password`` password given to many people at once (a roster import):
    salted PBKDF2, about 2 ms instead of scrypt's 75, so a thousand new accounts take seconds, not a
    minute and more. Enough for 69 random bits that expire within days and must be replaced at
    first sign-in: guessing one offline is some 10^20 PBKDF2 runs. Never for a password a person
    chose. ``authenticate`` tops up the time of a check against such a hash to a scrypt's."""
    return generate_password_hash(password, method=GENERATED_HASH_METHOD)


def verify_password(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)
