"""Answer spellings organizers type, turned into the canonical keys of ``drafts``.

Every reader uses these, so `B`, `b`, `Ｂ`, `A、C、D`, `对`, `√` mean the same in every format.
Each parser raises ``BankError`` with a message naming what was wrong; readers attach the line.
"""
from __future__ import annotations

import re
import unicodedata

from question_bank.drafts import OPTION_KEYS
from question_bank.messages import BankError, N_

TRUE_WORDS = {"对", "正确", "是", "√", "✓", "✔", "T", "TRUE", "Y", "YES", "A", "V", "1"}
FALSE_WORDS = {"错", "错误", "否", "×", "✗", "✘", "X", "F", "FALSE", "N", "NO", "B", "0"}

_LETTER_SEPARATORS = re.compile(r"[\s,，、;；/|]+")
BLANK_SEPARATOR = "|"
ALTERNATIVE_SEPARATOR = "/"

# Blanks in a fill-in stem: （ ）, ( ), ___ (two or more underscores), 【】, with optional spaces inside;
# a bracket typed half full-width, half not (（ ) ), is a blank too.
BLANK_PATTERN = re.compile(r"[（(][\s\u3000]*[)）]|_{2,}|【\s*】|＿{2,}")


def fold(text: str) -> str:
    """Full-width to half-width (NFKC), the way answers are compared and letters read."""
    return unicodedata.normalize("NFKC", text)


def parse_choice_letters(raw: str, *, option_count: int | None = None) -> list[str]:
    """'ACD', 'a,c,d', 'Ａ、Ｃ、Ｄ', 'A C D' -> ['A', 'C', 'D'] (sorted, distinct)."""
    text = fold(str(raw)).strip().upper()
    if not text:
        raise BankError(N_("缺少答案"))
    letters: list[str] = []
    for part in _LETTER_SEPARATORS.split(text):
        for ch in part:
            if ch not in OPTION_KEYS:
                raise BankError(N_("答案“%(raw)s”中的“%(ch)s”不是选项字母（A–H）"), raw=str(raw).strip(), ch=ch)
            letters.append(ch)
    letters = sorted(set(letters))
    if not letters:
        raise BankError(N_("缺少答案"))
    if option_count is not None:
        missing = [c for c in letters if OPTION_KEYS.index(c) >= option_count]
        if missing:
            raise BankError(
                N_("答案“%(raw)s”含有不存在的选项 %(missing)s（本题只有 %(n)d 个选项）"),
                raw=str(raw).strip(), missing="、".join(missing), n=option_count,
            )
    return letters


def parse_true_false(raw: str) -> bool:
    """对/错, 正确/错误, √/×, T/F, A/B (A = 对) -> True/False."""
    text = fold(str(raw)).strip().strip("。.").upper()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise BankError(N_("判断题答案“%(raw)s”无法识别，请填写 对/错、正确/错误、√/× 或 T/F"), raw=str(raw).strip())


def parse_fill_answers(raw: str) -> list[list[str]]:
    """'北京/北平|上海' -> [['北京', '北平'], ['上海']]: '|' between blanks, '/' between alternatives."""
    text = str(raw).strip()
    if not text:
        raise BankError(N_("缺少填空题答案"))
    blanks = []
    for i, part in enumerate(text.replace("｜", "|").split(BLANK_SEPARATOR), start=1):
        alternatives = [a.strip() for a in part.replace("／", "/").split(ALTERNATIVE_SEPARATOR) if a.strip()]
        if not alternatives:
            raise BankError(N_("填空题第 %(n)d 个空的答案为空"), n=i)
        blanks.append(alternatives)
    return blanks


def count_blanks(stem: str) -> int:
    return len(BLANK_PATTERN.findall(stem))


def format_choice_letters(letters: list[str] | str) -> str:
    return "".join(letters) if isinstance(letters, list) else letters


def format_true_false(value: bool) -> str:
    return "对" if value else "错"


def format_fill_answers(blanks: list[list[str]]) -> str:
    return BLANK_SEPARATOR.join(ALTERNATIVE_SEPARATOR.join(alts) for alts in blanks)


QUESTION_TYPE_WORDS = {
    "单选": "single", "单选题": "single", "单项选择": "single", "单项选择题": "single", "单择题": "single",
    "多选": "multiple", "多选题": "multiple", "多项选择": "multiple", "多项选择题": "multiple", "不定项选择题": "multiple",
    "判断": "true_false", "判断题": "true_false", "是非题": "true_false",
    "填空": "fill_blank", "填空题": "fill_blank",
    "简答": "short_answer", "简答题": "short_answer", "问答题": "short_answer", "论述题": "short_answer", "主观题": "short_answer",
    "single": "single", "multiple": "multiple", "true_false": "true_false", "fill_blank": "fill_blank",
    "short_answer": "short_answer",
}
TYPE_LABELS = {"single": "单选", "multiple": "多选", "true_false": "判断", "fill_blank": "填空", "short_answer": "简答"}


def parse_question_type(raw: str) -> str:
    text = fold(str(raw)).strip().replace(" ", "")
    if text in QUESTION_TYPE_WORDS:
        return QUESTION_TYPE_WORDS[text]
    raise BankError(N_("题型“%(raw)s”无法识别，请填写 单选/多选/判断/填空/简答"), raw=str(raw).strip())
