"""Grading: (key, response) -> points tables per type, the attempt API's response checks, and properties."""
from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from question_bank.drafts import OPTION_KEYS, QUESTION_TYPES
from question_bank.grading import (
    MAX_BLANK_CHARS,
    MAX_SHORT_ANSWER_CHARS,
    Grade,
    MultiplePolicy,
    grade,
    is_answered,
    normalize_response,
    normalize_text,
)
from question_bank.messages import BankError

ALL_OR_NOTHING = MultiplePolicy("all_or_nothing")
PARTIAL = MultiplePolicy("partial")
PER_OPTION = MultiplePolicy("per_option")


def question(type_: str, answer, points: float = 2.0) -> SimpleNamespace:
    return SimpleNamespace(type=type_, answer=answer, points=points)


# --- single ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "points", "correct"),
    [
        ("B", 2.0, True),
        ("b", 2.0, True),
        ("Ｂ", 2.0, True),
        ("ｂ", 2.0, True),
        (" B ", 2.0, True),
        ("A", 0.0, False),
        ("AB", 0.0, False),
        (None, 0.0, False),
        ("", 0.0, False),
        (["B"], 0.0, False),
        (2, 0.0, False),
    ],
)
def test_single_is_right_only_for_the_key_letter_in_any_case_or_width(response, points, correct):
    assert grade(question("single", "B"), response) == Grade(points, 2.0, correct, False, {})


# --- true_false --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "response", "points", "correct"),
    [
        (True, True, 2.0, True),
        (False, False, 2.0, True),
        (True, False, 0.0, False),
        (False, True, 0.0, False),
        (True, None, 0.0, False),
        (True, 1, 0.0, False),
        (False, 0, 0.0, False),
        (True, "对", 0.0, False),
        (True, "true", 0.0, False),
    ],
)
def test_true_false_is_right_only_for_the_same_bool(key, response, points, correct):
    assert grade(question("true_false", key), response) == Grade(points, 2.0, correct, False, {})


# --- multiple ----------------------------------------------------------------------------------

KEY_ACD = ["A", "C", "D"]


@pytest.mark.parametrize(
    ("policy", "response", "points", "correct"),
    [
        # exactly right: full points under every policy
        (ALL_OR_NOTHING, ["A", "C", "D"], 3.0, True),
        (PARTIAL, ["A", "C", "D"], 3.0, True),
        (PER_OPTION, ["A", "C", "D"], 3.0, True),
        # order, case and width do not matter
        (ALL_OR_NOTHING, ["d", "Ａ", "C"], 3.0, True),
        # a proper subset (少选)
        (ALL_OR_NOTHING, ["A", "C"], 0.0, False),
        (PARTIAL, ["A", "C"], 1.5, False),
        (PARTIAL, ["A"], 1.5, False),
        (PER_OPTION, ["A", "C"], 2.0, False),
        (PER_OPTION, ["A"], 1.0, False),
        # a superset (错选): a wrong option scores nothing
        (ALL_OR_NOTHING, ["A", "B", "C", "D"], 0.0, False),
        (PARTIAL, ["A", "B", "C", "D"], 0.0, False),
        (PER_OPTION, ["A", "B", "C", "D"], 0.0, False),
        # some right, one wrong
        (PARTIAL, ["A", "B"], 0.0, False),
        (PER_OPTION, ["A", "B"], 0.0, False),
        # only wrong
        (PARTIAL, ["B"], 0.0, False),
        (PER_OPTION, ["B"], 0.0, False),
        # empty or unanswered
        (ALL_OR_NOTHING, [], 0.0, False),
        (PARTIAL, [], 0.0, False),
        (PER_OPTION, [], 0.0, False),
        (PARTIAL, None, 0.0, False),
        (PER_OPTION, None, 0.0, False),
    ],
)
def test_multiple_scores_by_the_contest_policy(policy, response, points, correct):
    result = grade(question("multiple", KEY_ACD, 3.0), response, multiple_policy=policy)
    assert (result.points, result.max_points, result.correct, result.needs_marking) == (points, 3.0, correct, False)


def test_multiple_is_all_or_nothing_unless_a_policy_is_given():
    assert grade(question("multiple", KEY_ACD, 3.0), ["A", "C"]).points == 0.0


@pytest.mark.parametrize(
    ("response", "missed", "wrong"),
    [
        (["A", "C", "D"], (), ()),
        (["A"], ("C", "D"), ()),
        (["A", "B", "C", "D"], (), ("B",)),
        (["B", "E"], ("A", "C", "D"), ("B", "E")),
        (None, ("A", "C", "D"), ()),
    ],
)
def test_multiple_detail_names_missed_and_wrong_options(response, missed, wrong):
    assert grade(question("multiple", KEY_ACD), response).detail == {"missed": missed, "wrong": wrong}


@pytest.mark.parametrize(
    ("fraction", "points", "expected"),
    [
        (0.5, 3.0, 1.5),
        (0.4, 5.0, 2.0),
        (0.3, 3.0, 0.9),
        (1 / 3, 2.0, 0.67),
        (0, 3.0, 0.0),
        (1, 3.0, 3.0),
    ],
)
def test_partial_credit_fraction_is_configurable(fraction, points, expected):
    policy = MultiplePolicy("partial", partial_fraction=fraction)
    assert grade(question("multiple", KEY_ACD, points), ["A"], multiple_policy=policy).points == expected


@pytest.mark.parametrize(
    ("mode", "fraction"),
    [
        ("partial", -0.1),
        ("partial", 1.01),
        ("partial", math.nan),
        ("partial", "0.5"),
        ("partial", None),
        ("partial", True),
        ("half", 0.5),
        ("", 0.5),
    ],
)
def test_a_multiple_policy_outside_the_rules_is_refused(mode, fraction):
    with pytest.raises(BankError):
        MultiplePolicy(mode, partial_fraction=fraction)


def test_a_stored_multiple_key_spelt_as_a_string_still_grades():
    assert grade(question("multiple", "AC"), ["A", "C"]).correct is True


# --- fill_blank --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("alternatives", "typed"),
    [
        (["2024"], "2024"),
        (["2024"], "２０２４"),  # full-width digits
        (["2024年"], "２０２４ 年"),
        (["民主集中制"], "民主 集中 制"),  # spaces inside
        (["民主集中制"], " 民主集中制　"),  # ideographic space
        (["民主集中制"], "民主\u200b集中制"),  # zero-width space pasted from a phone
        (["CPC"], "cpc"),
        (["cpc"], "ＣＰＣ"),
        (["民主集中制"], "民主集中制。"),
        (["民主集中制"], "民主集中制；"),
        (["民主集中制"], "民主集中制!!"),
        (["民主集中制"], "民主集中制．"),
        (["民主集中制"], "“民主集中制”"),
        (["民主集中制"], "「民主集中制」"),
        (["民主集中制"], "\"民主集中制\""),
        (["民主集中制"], "（民主集中制）"),  # typed inside the stem's （ ）
        (["民主集中制"], "“民主集中制。”"),
        (["民主集中制"], "“民主集中制”。"),
        (["中国共产党章程"], "《中国共产党章程》"),
        (["《中国共产党章程》"], "中国共产党章程"),  # the key gets the same treatment
        (["北京", "北平"], "北平"),  # any alternative
        (["北京", "北平"], "北京"),
        (["3.5"], "3.5"),
    ],
)
def test_a_blank_matches_after_normalisation(alternatives, typed):
    result = grade(question("fill_blank", [alternatives], 1.0), [typed])
    assert (result.points, result.correct, result.detail) == (1.0, True, {"blanks": (True,)})


@pytest.mark.parametrize(
    ("alternatives", "typed"),
    [
        (["北京"], "上海"),
        (["北京"], "北京市"),  # equality, not containment
        (["民主集中制"], "民主、集中制"),  # punctuation inside an answer is kept
        (["2024"], "二〇二四"),  # numbers are not translated
        (["中国共产党章程"], "《中国共产党章程"),  # an unpaired bracket is kept
        (["党章和准则"], "《党章》和《准则》"),  # brackets that do not enclose the whole answer
        (["北京"], ""),
        (["北京"], "   "),
        (["北京"], "。"),
        (["。"], "。"),  # a blank that normalises to nothing never matches
        (["北京"], None),
        (["北京"], 2024),
    ],
)
def test_a_blank_that_differs_after_normalisation_is_wrong(alternatives, typed):
    result = grade(question("fill_blank", [alternatives], 1.0), [typed])
    assert (result.points, result.correct, result.detail) == (0.0, False, {"blanks": (False,)})


TWO_BLANKS = [["北京", "北平"], ["上海"]]


@pytest.mark.parametrize(
    ("response", "points", "correct", "blanks"),
    [
        (["北京", "上海"], 4.0, True, (True, True)),
        (["北平", "上海。"], 4.0, True, (True, True)),
        (["北京", "广州"], 2.0, False, (True, False)),  # one right: half the points
        (["南京", "上海"], 2.0, False, (False, True)),
        (["南京", "广州"], 0.0, False, (False, False)),
        (["北京"], 2.0, False, (True, False)),  # fewer responses than blanks
        ([], 0.0, False, (False, False)),
        (None, 0.0, False, (False, False)),
        (["北京", "上海", "广州"], 4.0, True, (True, True)),  # extra responses ignored
        (["上海", "北京"], 0.0, False, (False, False)),  # blanks are matched in order
        ("北京", 0.0, False, (False, False)),
    ],
)
def test_fill_blank_points_are_split_equally_across_blanks(response, points, correct, blanks):
    expected = Grade(points, 4.0, correct, False, {"blanks": blanks})
    assert grade(question("fill_blank", TWO_BLANKS, 4.0), response) == expected


@pytest.mark.parametrize(("right", "points"), [(0, 0.0), (1, 0.33), (2, 0.67), (3, 1.0)])
def test_a_one_point_question_with_three_blanks_scores_thirds_rounded_to_two_decimals(right, points):
    response = ["a", "b", "c"][:right] + ["x"] * (3 - right)
    assert grade(question("fill_blank", [["a"], ["b"], ["c"]], 1.0), response).points == points


# --- normalize_text ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("２０２４", "2024"),
        ("ＡＢＣ", "abc"),
        ("Abc", "abc"),
        ("a b\tc\n", "abc"),
        ("a\u3000b", "ab"),
        ("a\ufeffb\u200bc", "abc"),
        ("答案。", "答案"),
        ("答案，", "答案"),
        ("答案、", "答案"),
        ("答案：", "答案"),
        ("答案？！", "答案"),
        ("答案...", "答案"),
        ("答案……", "答案"),
        ("“答案”", "答案"),
        ("‘答案’", "答案"),
        ("'答案'", "答案"),
        ("「答案」", "答案"),
        ("『答案』", "答案"),
        ("《答案》", "答案"),
        ("〈答案〉", "答案"),
        ("【答案】", "答案"),
        ("〔答案〕", "答案"),
        ("［答案］", "答案"),
        ("（答案）", "答案"),
        ("“《答案》”。", "答案"),
        ("《《答案》》", "答案"),
        ("《a》和《b》", "《a》和《b》"),
        ("“a”“b”", "“a”“b”"),
        ('"a"b"', '"a"b"'),
        ("《答案", "《答案"),
        ("答案》", "答案》"),
        ("。答案", "。答案"),  # only trailing punctuation goes
        ("a,b", "a,b"),
        ("。", ""),
        ("“”", ""),
        ("", ""),
    ],
)
def test_normalize_text_follows_the_documented_rules(raw, expected):
    assert normalize_text(raw) == expected


# --- short_answer ------------------------------------------------------------------------------

KEYWORD_KEY = {
    "reference": "坚持民主集中制，严守政治纪律和政治规矩。",
    "keywords": [["民主集中制", "民主 集中"], ["政治纪律"], ["政治规矩", "纪律规矩"]],
}


@pytest.mark.parametrize(
    ("response", "points", "correct", "found"),
    [
        ("必须坚持民主集中制，严守政治纪律和政治规矩。", 3.0, True, ("民主集中制", "政治纪律", "政治规矩")),
        ("坚持民主和集中相结合；遵守政治纪律、纪律规矩", 2.0, False, (None, "政治纪律", "纪律规矩")),
        ("坚持民主集中，遵守政治纪律，守纪律规矩", 3.0, True, ("民主 集中", "政治纪律", "纪律规矩")),  # a synonym
        ("民 主 集 中 制", 1.0, False, ("民主集中制", None, None)),  # spaces do not matter
        ("ＰＯＬＩＴＩＣＳ 政治纪律", 1.0, False, (None, "政治纪律", None)),
        ("学习党史", 0.0, False, (None, None, None)),
        ("", 0.0, False, (None, None, None)),
        ("  ", 0.0, False, (None, None, None)),
        (None, 0.0, False, (None, None, None)),
    ],
)
def test_short_answer_earns_a_share_per_keyword_group_found(response, points, correct, found):
    assert grade(question("short_answer", KEYWORD_KEY, 3.0), response) == Grade(
        points, 3.0, correct, False, {"keywords": found}
    )


@pytest.mark.parametrize(
    ("keywords", "response", "points"),
    [
        ([["Party"]], "the party leads", 5.0),  # case does not matter
        ([["二〇二四"]], "二〇二四年", 5.0),
        ([["a"], ["b"], ["c"]], "a", 1.67),
        ([["a"], ["b"], ["c"]], "ab", 3.33),
        ([["a"], [], ["", " "]], "a", 5.0),  # groups with nothing to look for are ignored
    ],
)
def test_short_answer_keyword_shares_are_rounded(keywords, response, points):
    assert grade(question("short_answer", {"reference": "", "keywords": keywords}, 5.0), response).points == points


@pytest.mark.parametrize(
    "key",
    [
        {"reference": "参考答案", "keywords": []},
        {"reference": "参考答案"},
        {"reference": "参考答案", "keywords": [[], [""]]},
        None,
    ],
)
def test_short_answer_without_keywords_waits_for_manual_marking(key):
    result = grade(question("short_answer", key, 10.0), "我的回答")
    assert result == Grade(0.0, 10.0, None, True, {"keywords": ()})


def test_unanswered_short_answer_needs_no_marking_even_without_keywords():
    result = grade(question("short_answer", {"reference": "参考答案", "keywords": []}, 10.0), "")
    assert result == Grade(0.0, 10.0, False, False, {"keywords": ()})


# --- rounding and points -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("points", "key", "response", "expected"),
    [
        (1.0, [["a"], ["b"], ["c"]], ["a"], 0.33),
        (1.0, [["a"], ["b"], ["c"]], ["a", "b"], 0.67),
        (2.0, [["a"], ["b"], ["c"]], ["a"], 0.67),
        (0.25, [["a"], ["b"]], ["a"], 0.13),  # 0.125 rounds half up, not to even (0.12)
        (0.05, [["a"], ["b"]], ["a"], 0.03),  # 0.025
        (5.35, [["a"], ["b"]], ["a"], 2.68),  # 2.675: a binary float would give 2.67
        (1.0, [["a"]] * 8, ["a"], 0.13),  # 0.125
        (1.0, [["a"], ["b"], ["c"]], ["a", "b", "c"], 1.0),
        (0.335, [["a"]], ["a"], 0.335),  # full marks are the question's points, unrounded
        (0.335, [["a"], ["b"]], ["a"], 0.17),
    ],
)
def test_awarded_points_are_rounded_half_up_to_two_decimals(points, key, response, expected):
    assert grade(question("fill_blank", key, points), response).points == expected


@pytest.mark.parametrize("points", [-1, math.inf, math.nan, None, "two"])
def test_points_that_are_not_a_finite_non_negative_number_are_a_programming_error(points):
    with pytest.raises(ValueError):
        grade(question("single", "A", points), "A")


def test_zero_point_questions_award_zero():
    assert grade(question("single", "A", 0), "A") == Grade(0.0, 0.0, True, False, {})


@pytest.mark.parametrize("qtype", ["essay", "", None, "单选"])
def test_an_unknown_question_type_is_refused(qtype):
    with pytest.raises(BankError):
        grade(question(qtype, "A"), "A")
    with pytest.raises(BankError):
        normalize_response(qtype, "A")
    with pytest.raises(BankError):
        is_answered(qtype, "A")


# --- normalize_response: what the attempt API accepts ------------------------------------------


@pytest.mark.parametrize(
    ("qtype", "raw", "options", "expected"),
    [
        ("single", "B", {"option_count": 4}, "B"),
        ("single", "b", {"option_count": 4}, "B"),
        ("single", "Ｂ", {"option_count": 4}, "B"),
        ("single", "ｂ", {"option_count": 4}, "B"),
        ("single", " D ", {"option_count": 4}, "D"),
        ("single", "H", {}, "H"),
        ("single", "", {"option_count": 4}, None),
        ("multiple", ["C", "A"], {"option_count": 4}, ["A", "C"]),
        ("multiple", ["c", "Ａ", "d"], {"option_count": 4}, ["A", "C", "D"]),
        ("multiple", ["B"], {"option_count": 4}, ["B"]),
        ("multiple", [], {"option_count": 4}, None),
        ("true_false", True, {}, True),
        ("true_false", False, {}, False),
        ("fill_blank", ["北京", "上海"], {"blank_count": 2}, ["北京", "上海"]),
        ("fill_blank", ["２０２４ ", ""], {"blank_count": 2}, ["２０２４ ", ""]),  # kept as typed
        ("fill_blank", ["北京", None], {"blank_count": 2}, ["北京", ""]),
        ("fill_blank", ["", " "], {"blank_count": 2}, None),
        ("fill_blank", ["x" * MAX_BLANK_CHARS], {"blank_count": 1}, ["x" * MAX_BLANK_CHARS]),
        ("fill_blank", ["a", "b", "c"], {}, ["a", "b", "c"]),
        ("short_answer", "坚持民主集中制。", {}, "坚持民主集中制。"),
        ("short_answer", "x" * MAX_SHORT_ANSWER_CHARS, {}, "x" * MAX_SHORT_ANSWER_CHARS),
        ("short_answer", "  ", {}, None),
    ]
    + [(qtype, None, {}, None) for qtype in QUESTION_TYPES],
)
def test_normalize_response_accepts_each_valid_spelling(qtype, raw, options, expected):
    assert normalize_response(qtype, raw, **options) == expected


@pytest.mark.parametrize(
    ("qtype", "raw", "options", "says"),
    [
        ("single", "E", {"option_count": 4}, "A–D"),  # a letter beyond the options
        ("single", "e", {"option_count": 4}, "“E”不是本题的选项"),
        ("single", "AB", {"option_count": 4}, "一个选项字母"),
        ("single", "I", {}, "A–H"),
        ("single", "1", {"option_count": 4}, "一个选项字母"),
        ("single", ["B"], {"option_count": 4}, "一个选项字母"),
        ("single", {"answer": "B"}, {"option_count": 4}, "一个选项字母"),
        ("single", 2, {"option_count": 4}, "一个选项字母"),
        ("single", True, {"option_count": 4}, "一个选项字母"),
        ("multiple", "AC", {"option_count": 4}, "列表"),
        ("multiple", {"A": True}, {"option_count": 4}, "列表"),
        ("multiple", ["A", "E"], {"option_count": 4}, "“E”不是本题的选项"),
        ("multiple", ["A", "a"], {"option_count": 4}, "“A”出现了不止一次"),
        ("multiple", ["AC"], {"option_count": 4}, "列表"),
        ("multiple", ["A", None], {"option_count": 4}, "列表"),
        ("multiple", ["A", 1], {"option_count": 4}, "列表"),
        ("true_false", "true", {}, "true（对）或 false（错）"),
        ("true_false", "对", {}, "true（对）或 false（错）"),
        ("true_false", 1, {}, "true（对）或 false（错）"),
        ("true_false", {}, {}, "true（对）或 false（错）"),
        ("fill_blank", "北京", {"blank_count": 1}, "列表"),
        ("fill_blank", {"1": "北京"}, {"blank_count": 1}, "列表"),
        ("fill_blank", ["北京"], {"blank_count": 2}, "本题有 2 个空"),  # wrong blank count
        ("fill_blank", ["北京", "上海", "广州"], {"blank_count": 2}, "收到 3 项"),
        ("fill_blank", ["北京", 2024], {"blank_count": 2}, "第 2 个空"),
        ("fill_blank", ["北京", ["上海"]], {"blank_count": 2}, "第 2 个空"),
        ("fill_blank", ["x" * (MAX_BLANK_CHARS + 1)], {"blank_count": 1}, "最多 500 个字"),
        ("fill_blank", ["北\x00京"], {"blank_count": 1}, "控制字符"),
        ("short_answer", ["回答"], {}, "一段文字"),
        ("short_answer", {"text": "回答"}, {}, "一段文字"),
        ("short_answer", 42, {}, "一段文字"),
        ("short_answer", "x" * (MAX_SHORT_ANSWER_CHARS + 1), {}, "最多 5000 个字"),  # too-long text
        ("short_answer", "回\x00答", {}, "控制字符"),
    ],
)
def test_normalize_response_refuses_bad_answers_saying_what_is_valid(qtype, raw, options, says):
    with pytest.raises(BankError) as caught:
        normalize_response(qtype, raw, **options)
    assert says in caught.value.message.text


# --- is_answered -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("qtype", "response", "answered"),
    [
        ("single", "B", True),
        ("single", "", False),
        ("single", " ", False),
        ("single", None, False),
        ("multiple", ["A"], True),
        ("multiple", [], False),
        ("multiple", None, False),
        ("true_false", True, True),
        ("true_false", False, True),
        ("true_false", None, False),
        ("true_false", 0, False),
        ("fill_blank", ["", "上海"], True),
        ("fill_blank", ["", " "], False),
        ("fill_blank", [], False),
        ("fill_blank", None, False),
        ("short_answer", "回答", True),
        ("short_answer", "\n ", False),
        ("short_answer", None, False),
    ],
)
def test_is_answered_treats_blank_text_and_no_choice_as_unanswered(qtype, response, answered):
    assert is_answered(qtype, response) is answered


# --- properties --------------------------------------------------------------------------------

letters = st.sampled_from(OPTION_KEYS)
texts = st.text(min_size=1, max_size=12)
# Keywords from the alphabets cadres type, so that joining them cannot compose new characters.
keyword_texts = st.text(st.sampled_from("民主集中制政治纪律规矩党章学习abcXYZ019２０《》“”。， "), min_size=1, max_size=8)
point_values = st.one_of(st.integers(0, 100), st.floats(0, 100, allow_nan=False), st.decimals(0, 100, places=2))
policies = st.builds(MultiplePolicy, st.sampled_from(["all_or_nothing", "partial", "per_option"]), st.floats(0, 1))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=10,
)


@st.composite
def keys(draw, qtype: str):
    if qtype == "single":
        return draw(letters)
    if qtype == "multiple":
        return sorted(draw(st.sets(letters, min_size=1)))
    if qtype == "true_false":
        return draw(st.booleans())
    if qtype == "fill_blank":
        return draw(st.lists(st.lists(texts, min_size=1, max_size=3), min_size=1, max_size=4))
    groups = draw(st.lists(st.lists(keyword_texts, min_size=1, max_size=3), max_size=4))
    return {"reference": draw(st.text(max_size=20)), "keywords": groups}


@st.composite
def questions(draw):
    qtype = draw(st.sampled_from(QUESTION_TYPES))
    return question(qtype, draw(keys(qtype)), draw(point_values))


def response_equal_to(q) -> object:
    """The response that says exactly what the key says."""
    if q.type == "fill_blank":
        return [alternatives[0] for alternatives in q.answer]
    if q.type == "short_answer":
        return " ".join(group[0] for group in q.answer["keywords"])
    return q.answer


@given(questions(), json_values, policies)
def test_awarded_points_stay_within_zero_and_the_questions_points(q, response, policy):
    result = grade(q, response, multiple_policy=policy)
    assert 0 <= result.points <= result.max_points == float(q.points)
    assert result.correct is not True or result.points == result.max_points
    assert result.needs_marking is (result.correct is None)


@given(questions(), policies)
def test_a_response_equal_to_the_key_gets_full_points_for_every_type(q, policy):
    if q.type == "fill_blank":
        assume(all(normalize_text(alternatives[0]) for alternatives in q.answer))
    if q.type == "short_answer":
        assume(all(normalize_text(group[0]) for group in q.answer["keywords"]))
        assume(q.answer["keywords"])  # without keywords a person marks it
    result = grade(q, response_equal_to(q), multiple_policy=policy)
    assert (result.points, result.correct, result.needs_marking) == (float(q.points), True, False)


@given(st.sampled_from(QUESTION_TYPES), json_values)
def test_normalize_response_either_refuses_or_returns_a_response_it_accepts_again(qtype, raw):
    try:
        response = normalize_response(qtype, raw)
    except BankError:
        return
    assert normalize_response(qtype, response) == response
    assert is_answered(qtype, response) is (response is not None)


@given(st.lists(st.lists(texts, min_size=1, max_size=3), min_size=1, max_size=4), st.data())
def test_any_alternative_typed_in_any_blank_counts_as_right(key, data):
    response = [data.draw(st.sampled_from(alternatives)) for alternatives in key]
    assume(all(normalize_text(t) for t in response))
    assert grade(question("fill_blank", key, 1.0), response).detail == {"blanks": (True,) * len(key)}
