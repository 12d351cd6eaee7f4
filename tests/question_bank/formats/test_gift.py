"""GIFT: Moodle's own fixtures, malformed files, escapes, sniffing, round trips and fuzzing.

Invariant: bad input (a malformed GIFT file) gets a clear error naming the line, and nothing is
half-imported (every problem is a Problem in the result, never an exception).
"""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from question_bank.drafts import OPTION_KEYS, QuestionDraft
from question_bank.formats import detect, gift
from question_bank.messages import BankError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "moodle"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def essentials(draft: QuestionDraft) -> tuple:
    return (draft.type, draft.stem, draft.options, draft.answer, draft.explanation, draft.category)


# --- Moodle's fixtures ---------------------------------------------------------------------------------

def test_moodle_questions_gift_gives_its_nine_questions_seven_drafts_and_two_skipped():
    """Moodle's import_export.feature expects 'Importing 9 questions from file'."""
    result = gift.read(fixture("gift/questions.gift.txt"))

    assert result.ok, [str(p) for p in result.problems]
    assert len(result.drafts) + len(result.skipped) == 9
    assert result.counts_by_type() == {"single": 1, "multiple": 1, "true_false": 3, "fill_blank": 1, "short_answer": 1}
    assert [(s.kind, s.line) for s in result.skipped] == [("matching", 5), ("numerical", 31)]
    essay, single, multiple, fill, tf_false, tf_t, tf_true = result.drafts
    assert essentials(essay)[:4] == ("short_answer", "How are you?", [], {"reference": "", "keywords": []})
    assert single.options == ["yellow", "red", "blue"] and single.answer == "A"
    assert multiple.options == ["yellow", "red", "off-beige", "blue"] and multiple.answer == ["A", "C"]
    assert fill.stem == "Which is the best animal?（ ）" and fill.answer == [["Frog"]]  # 50 % Cat and 0 % * dropped
    assert tf_false.answer is False
    assert tf_false.explanation == "This is, of course, a Hitchiker's Guide to the Galaxy reference."
    assert tf_false.stem == '42 is the Absolute Answer to everything.";'  # the stray '";' is kept, as Moodle keeps it
    assert (tf_t.answer, tf_true.answer) == (True, True)
    assert [d.line for d in result.drafts] == [2, 14, 22, 34, 41, 46, 49]


def test_moodle_questions_in_category_sets_category_and_strips_html():
    result = gift.read(fixture("gift/questions_in_category.gift.txt"))

    assert result.ok
    assert [s.kind for s in result.skipped] == ["matching"]
    greeting, moodler, acronym = result.drafts
    assert {d.category for d in result.drafts} == {"Default for New Features"}
    assert greeting.type == "single" and greeting.answer == "B"
    assert greeting.stem == "Listen to this greeting:\n\nWhat language is being spoken?"  # <a>, <br /> and \: handled
    assert greeting.options == ["English", "French", "German", "Spanish"]
    assert moodler.type == "fill_blank" and moodler.answer == [["Moodler"]]
    assert moodler.stem == "Anyone who uses Moodle is a ...（ ）"
    assert acronym.type == "true_false" and acronym.answer is True
    assert acronym.stem == "Moodle is an acronym for Modular Object-Oriented Dynamic Learning Environment."


@pytest.mark.parametrize(
    ("name", "type_", "stem", "options", "answer"),
    [
        ("missingword/question.missingword1.txt", "single",
         "As soon as we begin to explore our body parts as infants\nwe become students of （ ）, and in a sense we "
         "remain students for life.", ["anatomy and physiology", "reflexology", "science", "experiment"], "A"),
        ("missingword/question.missingword2.txt", "fill_blank",
         "You can use the missing word format to import questions\ninto both Moodle's Question bank and （ ） activity.",
         [], [["Lesson"]]),
        # '~75%a good answer' is the old missing-word weight; GIFT writes it '~%75%', so here it is option text.
        ("missingword/question.missingword3.txt", "single", "This is",
         ["the best answer", "75%a good\nanswer", "a wrong one"], "A"),
    ],
)
def test_moodle_missing_word_fixtures_read_as_gift(name, type_, stem, options, answer):
    result = gift.read(fixture(name))

    assert result.ok and not result.skipped
    (draft,) = result.drafts
    assert (draft.type, draft.stem, draft.options, draft.answer) == (type_, stem, options, answer)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("multianswer/questions.multianswer.txt", "cloze"),
        ("multianswer/broken_multianswer_2.txt", "cloze"),
        ("multianswer/broken_multianswer_3.txt", "cloze"),
        ("multianswer/broken_multianswer_4.txt", "description"),
    ],
)
def test_moodle_cloze_text_files_are_skipped_with_a_reason(name, kind):
    result = gift.read(fixture(name))

    assert result.ok and not result.drafts
    assert [s.kind for s in result.skipped] == [kind]
    assert "已跳过" in str(result.skipped[0])


# --- Chinese GIFT as an organizer would write it ---------------------------------------------------------

CHINESE = """\
// 《中国共产党组织工作条例》练习题
$CATEGORY: $course$/top/组织工作条例

::第一题::党的组织工作必须坚持（ ）。{
\t=党的全面领导
\t~个人说了算
\t####《条例》第三条。
}

::第二题::下列属于组织工作基本任务的有{~%50%建设高素质干部队伍 ~%50%建设坚强有力的基层组织 ~%-100%招商引资}

::第三题::组织工作条例由中共中央发布。{对}

::第四题::党员领导干部的“四个意识”之一是{=政治意识 =政治意识。}

// 参考答案：坚持党管干部原则，坚持德才兼备、以德为先。
::第五题::简述选拔任用干部应当坚持的原则。{####见《干部任用条例》第二条。}

::第六题::党的组织体系由党的中央组织、地方组织、{=基层组织 ~中央组织 ~外围组织}组成。
"""


def test_chinese_gift_reads_all_five_types_with_category_and_explanations():
    result = gift.read(CHINESE.encode("utf-8"))

    assert result.ok, [str(p) for p in result.problems]
    single, multiple, judge, fill, essay, missing = result.drafts
    assert {d.category for d in result.drafts} == {"组织工作条例"}
    assert (single.type, single.answer, single.explanation) == ("single", "A", "《条例》第三条。")
    assert (multiple.type, multiple.answer) == ("multiple", ["A", "B"])
    assert (judge.type, judge.answer) == ("true_false", True)
    assert fill.type == "fill_blank" and fill.answer == [["政治意识", "政治意识。"]]
    assert fill.stem == "党员领导干部的“四个意识”之一是（ ）"
    assert essay.type == "short_answer" and essay.explanation == "见《干部任用条例》第二条。"
    assert essay.answer == {"reference": "坚持党管干部原则，坚持德才兼备、以德为先。", "keywords": []}
    assert missing.type == "single" and missing.stem == "党的组织体系由党的中央组织、地方组织、（ ）组成。"
    assert [d.line for d in result.drafts] == [4, 10, 12, 14, 17, 19]


def test_gbk_encoded_gift_is_read():
    result = gift.read("判断：党章是党的根本大法。{T}".encode("gbk"))

    assert result.ok and result.drafts[0].answer is True


def test_escapes_are_read_as_the_characters():
    text = r"::a\:b::集合 \{1\, 2\} 中 a\=b\~c \# 注：\\ 与\n换行{=x\=y\#1 ~\{z\}#反馈}"
    (draft,) = gift.read(text.encode()).drafts

    assert draft.stem == "集合 {1\\, 2} 中 a=b~c # 注：\\ 与\n换行"
    assert draft.options == ["x=y#1", "{z}"]


@pytest.mark.parametrize(
    ("spelling", "value"),
    [("T", True), ("TRUE", True), ("true", True), ("F", False), ("FALSE", False), ("对", True), ("错", False),
     ("正确", True), ("错误", False), ("√", True), ("×", False), ("TRUE#错了#对了", True)],
)
def test_true_false_spellings(spelling, value):
    (draft,) = gift.read(f"党章是党的根本大法。{{{spelling}}}".encode()).drafts

    assert (draft.type, draft.answer) == ("true_false", value)


def test_several_equals_answers_in_a_choice_make_a_multiple():
    (draft,) = gift.read("下列正确的是{=甲 =乙 ~丙}".encode()).drafts

    assert (draft.type, draft.answer) == ("multiple", ["A", "B"])


def test_partial_credit_beside_an_equals_answer_keeps_single():
    (draft,) = gift.read("最佳答案是{=甲 ~%50%乙 ~丙}".encode()).drafts

    assert (draft.type, draft.answer) == ("single", "A")


# --- malformed GIFT: problems naming the line where the question starts ------------------------------------

GOOD = "::好题::党章是党的根本大法。{T}\n\n"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("::坏题::党的最高领导机关是{=全国代表大会 ~中央委员会", "没有闭合"),
        ("::坏题::党的最高领导机关是=全国代表大会}", "多余的“}”"),
        ("::坏题::第一问{=甲 ~乙}\n::第二问::{=丙 ~丁}", "只能有一个答案块"),
        ("::坏题::党的最高领导机关是{~全国代表大会 ~中央委员会}", "没有正确答案"),
        ("::坏题::党的最高领导机关是{~%0%全国代表大会 ~%-50%中央委员会}", "没有正确答案"),
        ("::坏题::只有一个选项{~%100%甲}", "至少需要两个选项"),
        ("::坏题::{=甲 ~乙}", "题干为空"),
        ("::坏题::首都是{=%50%北京}", "没有满分答案"),
        ("::坏题::九个选项{=1 ~2 ~3 ~4 ~5 ~6 ~7 ~8 ~9}", "选项最多"),
        ("::坏题::空选项{=甲 ~ ~乙}", "选项为空"),
    ],
)
def test_malformed_question_is_a_problem_at_its_first_line(body, fragment):
    data = ("// 注释\n" + GOOD + "// 坏题前的注释\n" + body + "\n\n" + GOOD).encode()
    result = gift.read(data)

    assert len(result.problems) == 1, [str(p) for p in result.problems]
    problem = result.problems[0]
    assert problem.line == 5
    assert fragment in str(problem) and str(problem).startswith("第 5 行：")
    assert not result.ok
    assert len(result.drafts) == 2  # the good questions around it are still read for the preview


def test_an_empty_file_is_a_problem():
    result = gift.read(b"// only a comment\n\n")

    assert not result.ok and "没有找到任何题目" in str(result.problems[0])


def test_undecodable_bytes_are_a_problem_not_an_exception():
    result = gift.read(b"\x81\x30\xff\xfe\x00\xfa" * 3)

    assert not result.ok


# --- sniffing ----------------------------------------------------------------------------------------------

WORD_LAYOUT = """\
一、单选题
1. 党的最高领导机关是（ ）。
A. 党的全国代表大会和它所产生的中央委员会
B. 中央纪律检查委员会
答案：A
解析：见党章第十条。
"""


@pytest.mark.parametrize(
    "name", ["gift/questions.gift.txt", "gift/questions_in_category.gift.txt", "missingword/question.missingword1.txt"]
)
def test_sniff_claims_gift_fixtures(name):
    assert gift.sniff(fixture(name)) >= 80


@pytest.mark.parametrize(
    "data",
    [
        WORD_LAYOUT.encode(),
        fixture("aiken/questions.aiken.txt"),
        fixture("xml/old_format_file.xml"),
        b'{"questions": [{"stem": "x", "answer": {}}]}',
        b"",
        "题型,题干,答案\n单选,党的最高领导机关是,A\n".encode(),
    ],
)
def test_sniff_leaves_other_text_alone(data):
    assert gift.sniff(data) == 0


@pytest.mark.parametrize("path", sorted((FIXTURES.parent / "banks").glob("*.txt")), ids=lambda p: p.name)
def test_sniff_leaves_real_word_layout_banks_alone(path):
    assert gift.sniff(path.read_bytes()) == 0


def test_detect_picks_gift_even_when_named_txt():
    assert detect(fixture("gift/questions.gift.txt"), "题库.txt") == "gift"


# --- writing and round trips ------------------------------------------------------------------------------

def test_write_gives_readable_gift():
    drafts = [
        QuestionDraft(type="single", stem="党的最高领导机关是（ ）", options=["全国代表大会", "中央委员会"], answer="A",
                      explanation="党章第十条", category="党章"),
        QuestionDraft(type="true_false", stem="a=b {成立}", answer=False, category="党章"),
    ]
    text = gift.write(drafts).decode("utf-8")

    assert text == (
        "$CATEGORY: 党章\n\n"
        "::党的最高领导机关是（ ）::党的最高领导机关是（ ）{\n\t=全国代表大会\n\t~中央委员会\n\t####党章第十条\n}\n\n"
        "::a\\=b \\{成立\\}::a\\=b \\{成立\\}{FALSE}\n"
    )


def test_write_refuses_a_fill_in_with_several_blanks():
    draft = QuestionDraft(type="fill_blank", stem="（ ）和（ ）", answer=[["甲"], ["乙"]])

    with pytest.raises(BankError, match="多空填空题"):
        gift.write([draft])


EXAMPLES = [
    QuestionDraft(type="single", stem="《条例》第{三}条：=~#:", options=["选项#1", "~=否", "%50%不是权重"], answer="C",
                  explanation="####解析"),
    QuestionDraft(type="multiple", stem="多选：<b>不是标签</b> & 符号", options=["甲", "乙", "[html]丙", "丁"],
                  answer=["A", "C", "D"], explanation="[plain]原样"),
    QuestionDraft(type="true_false", stem="判断\n第二行\\n不是换行", answer=True, explanation="对"),
    QuestionDraft(type="fill_blank", stem="首都是___。", answer=[["北京", "北平", "*", "T"]]),
    QuestionDraft(type="short_answer", stem="简述：", answer={"reference": "要点一\n要点二",
                                                            "keywords": [["民主", "民主集中制"], ["{集中}"]]}),
    QuestionDraft(type="short_answer", stem="没有参考答案的简答", answer={"reference": "", "keywords": []},
                  category="理论/学习"),
]


def test_round_trip_examples():
    result = gift.read(gift.write(EXAMPLES))

    assert result.ok and not result.skipped, [str(p) for p in result.problems]
    assert [essentials(d) for d in result.drafts] == [essentials(d) for d in EXAMPLES]


_ALPHABET = "中国共产党组织工作条例干部选拔任用第一二条规定民主集中abcXYZ019 {}=~#:\\%[]<>&/-*_|\n"
texts = st.text(alphabet=_ALPHABET, min_size=1, max_size=24).map(str.strip).filter(bool)
maybe_text = st.one_of(st.just(""), texts)
categories = st.sampled_from(["", "党章", "组织工作条例/第一章", "理论 学习"])


@st.composite
def gift_drafts(draw) -> QuestionDraft:
    kind = draw(st.sampled_from(["single", "multiple", "true_false", "fill_blank", "short_answer"]))
    stem = draw(texts)
    options: list[str] = []
    if kind in ("single", "multiple"):
        options = draw(st.lists(texts, min_size=2, max_size=len(OPTION_KEYS)))
        keys = list(OPTION_KEYS[: len(options)])
        if kind == "single":
            answer = draw(st.sampled_from(keys))
        else:
            answer = sorted(draw(st.sets(st.sampled_from(keys), min_size=1)))
    elif kind == "true_false":
        answer = draw(st.booleans())
    elif kind == "fill_blank":
        blank = draw(st.sampled_from(["（ ）", "___", "【】"]))
        stem = (draw(texts) + blank + draw(maybe_text)).strip()
        answer = [draw(st.lists(texts, min_size=1, max_size=3))]
        assume(not all("->" in a for a in answer[0]))
    else:
        keywords = draw(st.lists(st.lists(texts, min_size=1, max_size=3), max_size=3))
        answer = {"reference": draw(maybe_text), "keywords": keywords}
    return QuestionDraft(type=kind, stem=stem, options=options, answer=answer, explanation=draw(maybe_text),
                         category=draw(categories))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.lists(gift_drafts(), min_size=1, max_size=6))
def test_round_trip_property(drafts):
    """Export → import gives back the same drafts, whatever Chinese text and {}=~#: they hold."""
    result = gift.read(gift.write(drafts))

    assert result.ok and not result.skipped, [str(p) for p in result.problems]
    assert [essentials(d) for d in result.drafts] == [essentials(d) for d in drafts]


# --- fuzzing -----------------------------------------------------------------------------------------------

_GIFTY = st.text(alphabet=st.sampled_from(list("{}=~#:%\\[]<>&/-*\n ::$CATEGORY//TFabc中文0123456789\ufdd3")),
                 max_size=200)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.binary(max_size=300), st.text(max_size=200).map(str.encode), _GIFTY.map(str.encode)))
def test_read_and_sniff_never_raise(data):
    result = gift.read(data)
    assert result.format == "gift"
    assert isinstance(gift.sniff(data), int)
