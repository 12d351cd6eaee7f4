"""The Word layout parser: one row per spelling organizers type, and the rules that tell lines apart.

Invariant (DESIGN.md): bad input gets a clear error naming the line, and nothing is half-imported —
every wrong question is a Problem on its line, and the reader never raises on any text.
"""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from question_bank.drafts import ParseResult
from question_bank.formats.wordlayout import EMPTY_BLANK, parse_lines, text_lines


def parse(text: str) -> ParseResult:
    return parse_lines(text_lines(text), "test")


def only(text: str):
    """The one draft of a text that must parse cleanly."""
    result = parse(text)
    assert result.problems == [], [str(p) for p in result.problems]
    assert len(result.drafts) == 1, result.drafts
    return result.drafts[0]


def problems(text: str) -> list[tuple[int | None, str]]:
    return [(p.line, p.message.text) for p in parse(text).problems]


OPTIONS_ABCD = "A.甲\nB.乙\nC.丙\nD.丁\n"


# --- stems -----------------------------------------------------------------------------------

@pytest.mark.parametrize("number", [
    "1.", "1、", "1．", "1:", "1：", "（1）", "(1)", "1)", "1）", "第1题", "第1题.", "１．", "12.", " 3 、", "9.",
])
def test_numbered_stem_spellings(number):
    d = only(f"{number}党的最高领导机关是（ ）\n{OPTIONS_ABCD}答案：B\n")
    assert d.stem == "党的最高领导机关是（ ）"
    assert d.answer == "B"
    assert d.line == 1


def test_numbering_may_restart_in_each_section():
    text = "一、单选题\n1.甲题（A）\nA.a\nB.b\n2.乙题（B）\nA.a\nB.b\n二、多选题\n1.丙题（AB）\nA.a\nB.b\n"
    result = parse(text)
    assert result.ok
    assert [(d.line, d.type, d.answer) for d in result.drafts] == [
        (2, "single", "A"), (5, "single", "B"), (9, "multiple", ["A", "B"])]


def test_stem_may_span_several_lines_and_keep_its_own_items():
    d = only("1.下列说法正确的是（ ）\n（1）党章是根本大法\n（2）党员有八项义务\nA.(1)\nB.(2)\nC.(1)(2)\n答案：C\n")
    assert d.stem == "下列说法正确的是（ ）\n（1）党章是根本大法\n（2）党员有八项义务"
    assert d.options == ["(1)", "(2)", "(1)(2)"]


def test_unnumbered_stems_follow_a_finished_question():
    text = "党的最高领导机关是（）\nA、党中央\nB、国务院\nA\n党的根本组织制度是（）。\nA、民主集中制\nB、集体领导\nA\n"
    result = parse(text)
    assert result.ok
    assert [(d.line, d.stem, d.answer) for d in result.drafts] == [
        (1, "党的最高领导机关是（）", "A"), (5, "党的根本组织制度是（）。", "A")]


def test_unnumbered_stem_right_before_options_starts_a_question():
    # No answer line: the key sits in the brackets, and the next stem directly precedes its options.
    text = "甲题（A）\nA.a\nB.b\n乙题（B）\nA.a\nB.b\n"
    result = parse(text)
    assert [(d.stem, d.answer) for d in result.drafts] == [(f"甲题{EMPTY_BLANK}", "A"), (f"乙题{EMPTY_BLANK}", "B")]


def test_unnumbered_true_false_lines_with_their_keys():
    result = parse("党章是党的根本大法（√）\n党员可以不参加组织生活（×）\n党的最高领导机关是党中央\n对\n")
    assert result.ok
    assert [(d.line, d.answer) for d in result.drafts] == [(1, True), (2, False), (3, True)]


def test_unnumbered_questions_with_explanations():
    text = f"甲题\n{OPTIONS_ABCD}答案：A\n解析：第一行\n第二行\n乙题\n{OPTIONS_ABCD}答案：B\n解析：一行\n\n丙题（对）\n"
    result = parse(text)
    assert result.ok
    assert [(d.stem, d.answer, d.explanation) for d in result.drafts] == [
        ("甲题", "A", "第一行\n第二行"), ("乙题", "B", "一行"), (f"丙题{EMPTY_BLANK}", True, "")]


@pytest.mark.parametrize("tag, qtype, answer", [
    ("【单选题】", "single", "A"),
    ("【多选题】", "multiple", ["A"]),
    ("(单选题, 2分)", "single", "A"),
    ("（多项选择题）", "multiple", ["A"]),
])
def test_type_tag_before_the_stem(tag, qtype, answer):
    d = only(f"1. {tag}题干\nA.a\nB.b\n答案：A\n")
    assert (d.type, d.stem, d.answer) == (qtype, "题干", answer)
    if "2分" in tag:
        assert d.points == 2


# --- options ---------------------------------------------------------------------------------

@pytest.mark.parametrize("a, b", [
    ("A.", "B."), ("A、", "B、"), ("A．", "B．"), ("A:", "B:"), ("A：", "B："), ("(A)", "(B)"),
    ("（A）", "（B）"), ("A)", "B)"), ("A）", "B）"), ("Ａ．", "Ｂ．"), ("A. ", "B. "), ("   A. ", "   B. "),
])
def test_option_spellings(a, b):
    d = only(f"1.题干\n{a}党中央\n{b}国务院\n答案：A\n")
    assert d.options == ["党中央", "国务院"]


@pytest.mark.parametrize("line", [
    "A.党中央   B.国务院   C.人大   D.政协",
    "A.党中央\tB.国务院\tC.人大\tD.政协",
    "A、党中央　B、国务院　C、人大　D、政协",  # ideographic spaces
    "(A)党中央 (B)国务院 (C)人大 (D)政协",
    "A. 党中央          B. 国务院          C. 人大          D. 政协",
])
def test_several_options_on_one_line(line):
    d = only(f"1.题干（ A ）\n{line}\n")
    assert d.options == ["党中央", "国务院", "人大", "政协"]


def test_two_options_per_line_over_two_lines():
    d = only("1.题干（ B ）\nA.甲甲              B.乙乙\nC.丙丙                D.丁丁\n")
    assert d.options == ["甲甲", "乙乙", "丙丙", "丁丁"]


def test_letter_inside_an_option_does_not_split_it():
    # 'B、C' is not preceded by whitespace, and 'E.' is not the next letter after A.
    d = only("1.题干\nA.维生素B、C与 E.coli\nB.其他\n答案：A\n")
    assert d.options == ["维生素B、C与 E.coli", "其他"]


def test_wrapped_option_continues_on_the_next_line():
    d = only("1.题干\nA.很长的选项\n接着写完\nB.短选项\n答案：A\n")
    assert d.options == ["很长的选项接着写完", "短选项"]


def test_up_to_eight_options():
    lines = "\n".join(f"{k}.选项{k}" for k in "ABCDEFGH")
    d = only(f"1.题干\n{lines}\n答案：ABCDEFGH\n")
    assert len(d.options) == 8 and d.answer == list("ABCDEFGH")


# --- answer keys -----------------------------------------------------------------------------

@pytest.mark.parametrize("line, key", [
    ("答案：B", "B"),
    ("答案:B", "B"),
    ("答案: b", "B"),
    ("答案 B", "B"),
    ("答案：Ｂ", "B"),
    ("答案：B。", "B"),
    ("正确答案: B", "B"),
    ("参考答案：B", "B"),
    ("标准答案：B", "B"),
    ("【答案】B", "B"),
    ("[答案]B", "B"),
    ("【答案】：B", "B"),
    ("B", "B"),
    ("B ", "B"),
    ("b", "B"),
    ("答案：乙", "B"),  # the text of an option
])
def test_single_key_spellings(line, key):
    d = only(f"1.题干\nA.甲\nB.乙\nC.丙\nD.丁\n{line}\n")
    assert (d.type, d.answer) == ("single", key)


@pytest.mark.parametrize("line", [
    "答案：ACD", "答案：A,C,D", "答案：A、C、D", "答案：A C D", "正确答案: ACD", "参考答案：acd",
    "ACD", "A、C、D", "A C D", "答案：ＡＣＤ", "【答案】ACD",
])
def test_multiple_key_spellings(line):
    d = only(f"1.题干\n{OPTIONS_ABCD}{line}\n")
    assert (d.type, d.answer) == ("multiple", ["A", "C", "D"])


@pytest.mark.parametrize("line", ["C.丙  D.丁    答案：C", "C.丙  D.丁 【答案】C", "C.丙  D.丁  正确答案: C 我的答案: D"])
def test_answer_at_the_end_of_the_last_option_line(line):
    d = only(f"1.题干\nA.甲  B.乙\n{line}\n")
    assert (d.options, d.answer) == (["甲", "乙", "丙", "丁"], "C")


def test_answer_label_with_the_letter_on_the_next_line():
    d = only(f"1.题干\n{OPTIONS_ABCD}答案：\nC\n")
    assert d.answer == "C"


@pytest.mark.parametrize("stem, key", [
    ("题干（ B ）", "B"),
    ("题干（B）", "B"),
    ("题干( B )", "B"),
    ("题干(B)", "B"),
    ("题干（Ｂ）", "B"),
    ("题干（ B ）。", "B"),
    ("题干( ABC )", ["A", "B", "C"]),
    ("题干（ABC）", ["A", "B", "C"]),
    ("题干（A、B、C）", ["A", "B", "C"]),
])
def test_key_in_the_stem_brackets(stem, key):
    d = only(f"1.{stem}\n{OPTIONS_ABCD}")
    assert d.answer == key
    assert d.stem == stem.split("（")[0].split("(")[0] + EMPTY_BLANK + ("。" if stem.endswith("。") else "")


def test_key_in_brackets_inside_the_stem_leaves_a_blank_there():
    d = only(f"1.统筹国内经济工作和（A），更好统筹发展和安全。\n{OPTIONS_ABCD}")
    assert d.stem == "统筹国内经济工作和（ ），更好统筹发展和安全。"
    assert d.answer == "A"


def test_bracket_and_answer_line_that_agree():
    d = only(f"1.题干（B）\n{OPTIONS_ABCD}答案：B\n")
    assert (d.stem, d.answer) == (f"题干{EMPTY_BLANK}", "B")


def test_bracket_and_answer_line_that_disagree_are_a_problem():
    assert problems(f"1.题干（B）\n{OPTIONS_ABCD}答案：C\n") == [
        (1, "题干括号中的答案“B”与答案行“C”不一致")]


def test_student_answer_and_points_lines_of_xuexitong_exports():
    d = only(f"1. 题干( )\n{OPTIONS_ABCD}正确答案: AB\n我的答案: ABCD\n分值: 0.4分\n")
    assert (d.type, d.answer, d.points) == ("multiple", ["A", "B"], 0.4)


@pytest.mark.parametrize("line", ["我的答案：ABCD 正确答案：AB", "正确答案：AB 我的答案：ABCD", "正确答案：AB；我的答案：C"])
def test_correct_and_student_answer_on_one_line(line):
    d = only(f"1.题干\n{OPTIONS_ABCD}{line}\n")
    assert d.answer == ["A", "B"]


def test_student_answer_alone_is_not_a_key():
    assert problems(f"1.题干\n{OPTIONS_ABCD}我的答案：A\n") == [(1, "选择题缺少答案")]


# --- true/false ------------------------------------------------------------------------------

@pytest.mark.parametrize("spelling, value", [
    ("（√）", True), ("（ √ ）", True), ("(√)", True), ("（对）", True), ("（正确）", True), ("（✓）", True),
    ("（×）", False), ("( × )", False), ("（错）", False), ("（错误）", False), ("（✗）", False),
])
def test_true_false_key_in_brackets(spelling, value):
    d = only(f"1.党员的党龄从预备期满转为正式党员之日算起{spelling}\n")
    assert (d.type, d.answer) == ("true_false", value)
    assert d.stem == f"党员的党龄从预备期满转为正式党员之日算起{EMPTY_BLANK}"


@pytest.mark.parametrize("line, value", [
    ("答案：对", True), ("答案：错", False), ("答案：√", True), ("答案：×", False), ("答案：正确", True),
    ("答案：错误", False), ("答案：T", True), ("答案：F", False), ("参考答案：对", True), ("对", True), ("×", False),
    ("错误", False),
])
def test_true_false_key_lines(line, value):
    d = only(f"1.党员的党龄从转正之日算起。\n{line}\n")
    assert (d.type, d.answer) == ("true_false", value)


@pytest.mark.parametrize("line, value", [("答案：A", True), ("答案：B", False), ("答案：对", True)])
def test_true_false_section_with_options(line, value):
    d = only(f"判断题\n1.题干\nA.正确\nB.错误\n{line}\n")
    assert (d.type, d.answer) == ("true_false", value)


# --- headings set the type ---------------------------------------------------------------------

@pytest.mark.parametrize("heading, qtype", [
    ("一、单选题", "single"),
    ("一、单项选择题", "single"),
    ("二、多选题", "multiple"),
    ("二、多项选择题（每题2分）", "multiple"),
    ("（二）多选题", "multiple"),
    ("第二部分 多选题", "multiple"),
    ("多选题：", "multiple"),
    ("不定项选择题", "multiple"),
    ("选择题", None),
])
def test_choice_headings(heading, qtype):
    d = only(f"{heading}\n1.题干\n{OPTIONS_ABCD}答案：A\n")
    assert d.type == (qtype or "single")
    if qtype == "multiple":
        assert d.answer == ["A"]  # a multiple-choice question may have one right option


def test_heading_points_apply_to_its_questions_and_a_points_line_wins():
    result = parse(f"二、多项选择题（每题2分）\n1.甲\n{OPTIONS_ABCD}答案：AB\n2.乙\n{OPTIONS_ABCD}答案：AB\n分值：3\n")
    assert [d.points for d in result.drafts] == [2.0, 3.0]


@pytest.mark.parametrize("heading, qtype", [("三、判断题", "true_false"), ("是非题", "true_false"),
                                            ("四、填空题", "fill_blank"), ("五、简答题", "short_answer"),
                                            ("问答题", "short_answer")])
def test_other_headings(heading, qtype):
    answer = {"true_false": "对", "fill_blank": "遵义", "short_answer": "实事求是"}[qtype]
    d = only(f"{heading}\n1.党的历史上（ ）会议是转折点\n答案：{answer}\n")
    assert d.type == qtype


def test_single_choice_section_refuses_several_letters():
    assert problems(f"一、单选题\n1.题干\n{OPTIONS_ABCD}答案：AB\n") == [(2, "单选题只能有一个答案，这里是“AB”")]


def test_category_heading_sets_category():
    d = only(f"一、党章知识\n1.题干\n{OPTIONS_ABCD}答案：A\n")
    assert d.category == "党章知识"


# --- inferred types ----------------------------------------------------------------------------

@pytest.mark.parametrize("text, qtype, answer", [
    (f"1.题干\n{OPTIONS_ABCD}答案：C", "single", "C"),
    (f"1.题干\n{OPTIONS_ABCD}答案：BC", "multiple", ["B", "C"]),
    ("1.党章是党的根本大法（√）", "true_false", True),
    ("1.党章是党的根本大法\n答案：错", "true_false", False),
    ("1.中国共产党成立于（ ）年\n答案：1921", "fill_blank", [["1921"]]),
    ("1.中国共产党成立于____年\n答案：1921", "fill_blank", [["1921"]]),
    ("1.中国共产党成立于【】年\n答案：1921", "fill_blank", [["1921"]]),
    ("1.简述民主集中制\n答案：个人服从组织", "short_answer", {"reference": "个人服从组织", "keywords": []}),
])
def test_type_inferred_without_heading(text, qtype, answer):
    d = only(text + "\n")
    assert (d.type, d.answer) == (qtype, answer)


# --- fill-in answers: '|' between blanks, or spaces/、/；/，when the count matches ---------------------

@pytest.mark.parametrize("answer, expected", [
    ("1921|上海", [["1921"], ["上海"]]),
    ("1921｜上海", [["1921"], ["上海"]]),
    ("1921 上海", [["1921"], ["上海"]]),
    ("1921、上海", [["1921"], ["上海"]]),
    ("1921；上海", [["1921"], ["上海"]]),
    ("1921，上海", [["1921"], ["上海"]]),
    ("1921|上海/沪", [["1921"], ["上海", "沪"]]),
])
def test_fill_answers_for_two_blanks(answer, expected):
    d = only(f"1.党成立于（ ）年，一大在___召开\n答案：{answer}\n")
    assert (d.type, d.answer) == ("fill_blank", expected)


def test_fill_answer_for_one_blank_keeps_its_separators():
    d = only("1.选人用人要坚持（ ）的原则\n答案：民主、公开、竞争、择优\n")
    assert d.answer == [["民主、公开、竞争、择优"]]


def test_fill_answer_count_that_does_not_match_is_a_problem():
    assert problems("1.（ ）是国家强盛之基，（ ）是民族进步之魂\n答案：科技创新\n") == [
        (1, "填空题有 2 个空，答案却有 1 个（多个空的答案请用 | 分隔）")]


# --- explanation and other lines -------------------------------------------------------------------

def test_explanation_runs_until_the_next_question():
    result = parse(f"1.甲\n{OPTIONS_ABCD}答案：A\n解析：第一行\n第二行\n1.不是新题的要点\n2.乙\n{OPTIONS_ABCD}答案：B\n")
    assert result.ok
    assert [d.explanation for d in result.drafts] == ["第一行\n第二行\n1.不是新题的要点", ""]
    assert [d.stem for d in result.drafts] == ["甲", "乙"]


@pytest.mark.parametrize("line", ["解析：依据党章", "【解析】依据党章", "答案解析：依据党章", "解析 依据党章"])
def test_explanation_spellings(line):
    assert only(f"1.题干\n{OPTIONS_ABCD}答案：A\n{line}\n").explanation == "依据党章"


def test_answer_and_explanation_on_one_line():
    d = only(f"1.题干\n{OPTIONS_ABCD}答案：A 解析：依据党章\n")
    assert (d.answer, d.explanation) == ("A", "依据党章")


@pytest.mark.parametrize("line, field, value", [
    ("难度：3", "difficulty", 3), ("难度：易", "difficulty", 1), ("难度：中", "difficulty", 3),
    ("难度：较难", "difficulty", 4), ("难度：难", "difficulty", 5), ("难度：★★", "difficulty", 2),
    ("分值：2", "points", 2.0), ("分值: 0.5分", "points", 0.5), ("分数：1.5", "points", 1.5),
    ("知识点：党章；组织原则", "knowledge_points", ["党章", "组织原则"]),
    ("知识点：党章、纪律", "knowledge_points", ["党章", "纪律"]),
    ("出处：《中国共产党章程》第十条", "source", "《中国共产党章程》第十条"),
    ("来源：《条例》", "source", "《条例》"),
    ("科目：理论", "subject", "理论"),
])
def test_metadata_lines(line, field, value):
    d = only(f"1.题干\n{OPTIONS_ABCD}答案：A\n{line}\n")
    assert getattr(d, field) == value


def test_unreadable_difficulty_and_points_are_problems():
    result = parse(f"1.题干\n{OPTIONS_ABCD}答案：A\n难度：超级难\n分值：两分\n")
    assert [(p.line, p.message.text) for p in result.problems] == [
        (7, "难度“超级难”无法识别，请填写 1–5 或 易/中/难"), (8, "分值“两分”不是数字")]
    assert result.drafts == []


def test_reference_answer_over_several_lines_with_numbered_points():
    text = "简答题\n1.简述民主集中制的原则。\n答案：\n1.个人服从组织\n2.少数服从多数\n2.简述三会一课。\n答案：支部党员大会等\n"
    result = parse(text)
    assert result.ok
    assert [(d.line, d.answer["reference"]) for d in result.drafts] == [
        (2, "1.个人服从组织\n2.少数服从多数"), (6, "支部党员大会等")]


def test_title_before_the_first_question_is_listed_as_skipped():
    result = parse(f"2025年党建知识竞赛题库\n\n1.题干\n{OPTIONS_ABCD}答案：A\n")
    assert result.ok and len(result.drafts) == 1
    assert [(s.line, s.kind) for s in result.skipped] == [(1, "text")]


def test_stem_line_repeating_an_option_is_dropped_and_listed():
    result = parse("1.目标之一是（B）\n全面建成小康社会\nA. 全面建成小康社会\nB.高质量发展\n")
    assert result.ok
    assert result.drafts[0].stem == f"目标之一是{EMPTY_BLANK}"
    assert [(s.line, s.kind) for s in result.skipped] == [(2, "repeated_line")]


# --- problems ----------------------------------------------------------------------------------

def test_key_naming_an_option_that_is_not_printed_names_every_question():
    text = (f"1.甲\n{OPTIONS_ABCD}正确答案: ABCDE\n"
            f"2.乙\n{OPTIONS_ABCD}正确答案: AB\n"
            f"3.丙\n{OPTIONS_ABCD}正确答案: E\n")
    result = parse(text)
    assert [(p.line, p.message.text) for p in result.problems] == [
        (1, "答案“ABCDE”含有不存在的选项 E（本题只有 4 个选项）"),
        (13, "答案“E”含有不存在的选项 E（本题只有 4 个选项）"),
    ]
    assert [d.stem for d in result.drafts] == ["乙"]  # the wrong ones are left out, the file is refused
    assert not result.ok


def test_bracket_key_naming_a_missing_option():
    assert problems("1.题干（E）\nA.a\nB.b\n") == [(1, "答案“E”含有不存在的选项 E（本题只有 2 个选项）")]


@pytest.mark.parametrize("text, expected", [
    (f"1.题干\n{OPTIONS_ABCD}", [(1, "选择题缺少答案")]),
    ("1.题干\nA.唯一\n答案：A\n", [(1, "选择题至少要有 2 个选项，本题只有 1 个")]),
    ("一、单选题\n1.题干\n答案：A\n", [(2, "选择题至少要有 2 个选项，本题只有 0 个")]),
    ("A.甲\nB.乙\n答案：A\n", [(1, "选项前没有题干：“A.甲”")]),
    (f"1.题干\n{OPTIONS_ABCD}答案：A\nA.又一组\nB.选项\n", [(7, "选项前没有题干：“A.又一组”")]),
    ("1.题干\nA.甲\nC.丙\n答案：A\n", [(3, "选项字母顺序不对：这里应是 B，实为 C")]),
    ("1.题干\nA.\nB.乙\n答案：B\n", [(2, "选项 A 没有内容")]),
    ("1.题干\n答案：B\n", [(1, "答案“B”是选项字母，但本题没有选项")]),
    ("1.简述民主集中制\n", [(1, "缺少答案")]),
    ("1.\n", [(1, "题目没有题干")]),
    ("答案：A\n", [(1, "“答案”这一行前面没有题目")]),
    (f"1.题干\n{OPTIONS_ABCD}答案：X\n", [(6, "答案“X”中的“X”不是选项字母（A–H）")]),
    ("1.题干（A）（B）\nA.a\nB.b\n", [(1, "题干中有 2 处括号里写着字母，无法确定哪一处是答案")]),
])
def test_problems_name_their_line(text, expected):
    assert problems(text) == expected


def test_every_problem_is_reported_not_only_the_first():
    text = f"1.甲\n{OPTIONS_ABCD}2.乙\n{OPTIONS_ABCD}答案：F\n3.丙\nA.a\n"
    assert problems(text) == [
        (1, "选择题缺少答案"),
        (6, "答案“F”含有不存在的选项 F（本题只有 4 个选项）"),
        (12, "选择题至少要有 2 个选项，本题只有 1 个"),
        (12, "选择题缺少答案"),
    ]


# --- no stem holds an option line; the reader never raises ---------------------------------------

_OPTION_LINE = re.compile(r"^\s*(?:[(（]\s*[A-HＡ-Ｈ]\s*[)）]|[A-HＡ-Ｈ]\s*[.．、:：)）])", re.M)

_FRAGMENTS = st.sampled_from([
    "1.", "2、", "（3）", "第4题", "A.", "B、", "(C)", "D)", "E．", "答案：", "正确答案:", "我的答案:", "解析：",
    "分值:", "难度：", "知识点：", "（ B ）", "( AC )", "（√）", "对", "×", "ABC", "B", "一、单选题", "三、判断题",
    "填空题", "简答题", "___", "【】", "|", "/", " ", "\t", "\n", "\n\n", "\r\n", "甲乙", "Ｂ", "（", "）", "【单选题】",
    "2分", "\ufeff", "\u3000", "每题2分",
])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_any_text_gives_a_result(text):
    """Invariant: the reader never raises on content (arbitrary text)."""
    assert isinstance(parse(text), ParseResult)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_FRAGMENTS, st.text(max_size=4)), max_size=80).map("".join))
def test_layout_like_text_gives_a_result_with_clean_drafts(text):
    """Invariant: never raises on layout-like noise; every draft has a stem and no stem holds an option line."""
    result = parse(text)
    assert isinstance(result, ParseResult)
    for d in result.drafts:
        assert d.stem.strip()
        # Lines after the first are stem lines the reader kept: none of them may be an option line.
        assert not any(_OPTION_LINE.match(part) for part in d.stem.split("\n")[1:]), d.stem
        if d.type in ("single", "multiple"):
            assert len(d.options) >= 2
