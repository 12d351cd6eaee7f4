"""Aiken: Moodle's fixtures, the errors Moodle's own test expects (by line), sniffing and fuzzing.

Invariant: bad input gets a clear error naming the line, and nothing is half-imported.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from question_bank.formats import aiken, detect

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "moodle"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_moodle_questions_aiken_gives_two_single_choice_questions_with_text_as_typed():
    result = aiken.read(fixture("aiken/questions.aiken.txt"))

    assert result.ok and not result.skipped
    first, second = result.drafts
    assert (first.type, first.answer, first.line) == ("single", "B", 1)
    assert first.options == ["Petr Skoda", "Martin Dougiamas", "Eloy Lafuente", "Tim Hunt"]
    assert second.stem == "Moodle's abilities include handling user input that includes <html class=\"cool\"> & images:"
    assert (second.options, second.answer, second.line) == (["True", "False"], "A", 8)


def test_moodle_aiken_errors_gives_three_questions_and_the_four_problems_moodle_reports():
    """aikenformat_test.php: 3 questions; errors on lines 3, 5, 7 and 18 (Moodle's numbering).

    We name the line where the question starts for question-level problems (1 instead of 3, 14
    instead of 18) and say in the message which line gave it away.
    """
    result = aiken.read(fixture("aiken/aiken_errors.txt"))

    assert [(d.stem, d.options, d.answer) for d in result.drafts] == [
        ("A good question", ["Correct", "Incorrect"], "A"),
        ("A second good question", ["Incorrect (No space)", "Correct (No space)"], "B"),
        ("A third good question with HTML chars such as > < &", ["Correct (< > &)", "Incorrect (< > &)"], "A"),
    ]
    assert [p.line for p in result.problems] == [1, 5, 7, 14]
    too_few, option_first, answer_first, unfinished = (str(p) for p in result.problems)
    assert "至少需要两个选项" in too_few and "第 3 行" in too_few
    assert "没有题干" in option_first and "没有题干" in answer_first
    assert "没有 ANSWER 行" in unfinished and "第 18 行" in unfinished
    assert not result.ok


CHINESE = """\
中国共产党的最高领导机关是
A. 党的全国代表大会和它所产生的中央委员会
B) 中央纪律检查委员会
C．中央军事委员会
ANSWER: A

下列属于干部选拔任用原则的有
（多选）
Ａ）党管干部
Ｂ）德才兼备、以德为先
Ｃ）论资排辈
ANSWER：A、B
"""


def test_chinese_aiken_with_full_width_marks_multi_line_stem_and_several_letters():
    result = aiken.read(CHINESE.encode("utf-8"))

    assert result.ok, [str(p) for p in result.problems]
    single, multiple = result.drafts
    assert single.type == "single" and single.answer == "A"
    assert single.options == ["党的全国代表大会和它所产生的中央委员会", "中央纪律检查委员会", "中央军事委员会"]
    assert multiple.stem == "下列属于干部选拔任用原则的有\n（多选）"
    assert (multiple.type, multiple.answer, multiple.line) == ("multiple", ["A", "B"], 7)
    assert multiple.options[1] == "德才兼备、以德为先"  # full-width punctuation in the text is kept


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("题干\nA) 甲\nB) 乙\nANSWER: C\n", 4, "不存在的选项"),
        ("题干\nA) 甲\nB) 乙\nANSWER: 甲\n", 4, "不是选项字母"),
        ("题干\nA) 甲\nC) 乙\nANSWER: A\n", 3, "应为“B”"),
        ("题干\nA) 甲\nB)\nANSWER: A\n", 3, "内容为空"),
        ("题干\nA) 甲\nB) 乙\n", 1, "文件就结束了"),
        ("题干\n" + "".join(f"{k}) {k}\n" for k in "ABCDEFGHI") + "ANSWER: A\n", 1, "选项最多"),
    ],
)
def test_problems_name_the_line(text, line, fragment):
    result = aiken.read(("第一题\nA) 对\nB) 错\nANSWER: A\n\n" + text).encode())

    assert [p.line - 5 for p in result.problems] == [line]
    assert fragment in str(result.problems[0])
    assert len(result.drafts) == 1


def test_empty_and_undecodable_files_are_problems():
    assert "没有找到任何题目" in str(aiken.read(b"\n\n").problems[0])
    assert not aiken.read(b"\x81\x30\xff\xfe\x00\xfa" * 3).ok


# --- sniffing: Aiken only if answers are really ANSWER: X -------------------------------------------------

WORD_LAYOUT = """\
一、单项选择题
1. 中国共产党的最高领导机关是（ ）。
A. 党的全国代表大会和它所产生的中央委员会
B. 中央纪律检查委员会
C. 中央军事委员会
答案：A
解析：见党章第十条。

2. 党的纪律处分有（ ）种。
A. 三
B. 五
答案：B
"""


def test_sniff_claims_real_aiken():
    assert aiken.sniff(fixture("aiken/questions.aiken.txt")) >= 90
    assert aiken.sniff(CHINESE.encode()) >= 60
    assert detect(fixture("aiken/questions.aiken.txt"), "questions.txt") == "aiken"


@pytest.mark.parametrize(
    "data",
    [
        WORD_LAYOUT.encode("utf-8"),
        WORD_LAYOUT.encode("gbk"),
        WORD_LAYOUT.replace("答案：", "【答案】").encode(),
        WORD_LAYOUT.replace("答案：", "Answer: ").encode(),  # not Aiken's upper-case ANSWER: rule
        fixture("gift/questions.gift.txt"),
        fixture("xml/nested_categories.xml"),
        "ANSWER: B\n".encode(),  # an answer line alone is not a question
        b"",
    ],
)
def test_sniff_does_not_take_word_layout_or_other_formats_for_aiken(data):
    assert aiken.sniff(data) == 0


REAL_WORD_LAYOUT_BANKS = sorted((FIXTURES.parent / "banks").glob("*.txt"))


@pytest.mark.parametrize("path", REAL_WORD_LAYOUT_BANKS, ids=lambda p: p.name)
def test_sniff_does_not_take_real_word_layout_banks_for_aiken(path):
    """The real Chinese banks kept for the Word-layout reader: options 'A、'/'A.', answers not ANSWER: X."""
    assert aiken.sniff(path.read_bytes()) == 0


def test_sniff_is_low_for_word_layout_with_a_stray_aiken_answer():
    mixed = WORD_LAYOUT + "\n3. 多出的一题\nA. 甲\nB. 乙\nANSWER: A\n"

    assert 0 < aiken.sniff(mixed.encode()) < 60


# --- fuzzing -----------------------------------------------------------------------------------------------

_AIKENISH = st.lists(st.sampled_from(["题干", "A) 甲", "B. 乙", "Ｃ）丙", "ANSWER: A", "ANSWER：AB", "answer: z",
                                      "ANSWER:", "A)", "答案：A", "", " ", "I) 九"]), max_size=30).map("\n".join)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.binary(max_size=300), st.text(max_size=200).map(str.encode), _AIKENISH.map(str.encode)))
def test_read_and_sniff_never_raise(data):
    result = aiken.read(data)
    assert result.format == "aiken"
    assert isinstance(aiken.sniff(data), int)
