"""Moodle XML: Moodle's fixtures, hostile XML (XXE, billion laughs), HTML, round trips and fuzzing.

Invariant: bad input (a broken or hostile XML file) gets a clear error naming the line where it can,
and nothing is half-imported (problems are reported in the result, never raised).
"""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from question_bank.drafts import OPTION_KEYS, QuestionDraft
from question_bank.formats import detect, moodle_xml

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "moodle"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def essentials(draft: QuestionDraft) -> tuple:
    return (draft.type, draft.stem, draft.options, draft.answer, draft.explanation, draft.category,
            draft.knowledge_points)


def quiz(body: str, declaration: str = '<?xml version="1.0" encoding="UTF-8"?>\n') -> bytes:
    return (declaration + "<quiz>\n" + body + "\n</quiz>\n").encode("utf-8")


# --- Moodle's fixtures ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # (type, stem, answer, category, line) per draft
        ("xml/nested_categories_with_questions.xml", [
            ("true_false", "Testing Iota Question", True, "Iota", 15),
            ("short_answer", "Testing Kappa Essay Question", {"reference": "", "keywords": []}, "Iota/Kappa", 55),
            ("true_false", "Testing Kappa Question", True, "Iota/Kappa", 83),
            ("true_false", "Testing Lambda Question", True, "Iota/Kappa/Lambda", 123),
            ("true_false", "Testing Mu Question", True, "Iota/Mu", 163),
        ]),
        ("xml/nested_categories.xml", [("true_false", "Testing Zeta Question", True, "Delta/Epsilon/Zeta", 37)]),
        ("xml/category_with_description.xml", [("true_false", "Testing Alpha Question", True, "Alpha", 15)]),
        ("xml/html_chars_in_idnumbers.xml", [("true_false", "Testing Alpha Question", True, "Alpha", 15)]),
        ("xml/categories_reverse_order.xml", [
            ("short_answer", "Testing Tau Question", {"reference": "", "keywords": []}, "Sigma/Tau", 14),
            ("fill_blank", "Testing Sigma Question（ ）", [["yes"]], "Sigma", 51),  # 'no', 'may be' are worth 0
        ]),
        ("xml/old_format_file.xml", [
            ("true_false", "Testing Pi Question", True, "Pi", 11),
            ("true_false", "Testing Rho Question", True, "Pi/Rho", 46),
        ]),
    ],
)
def test_moodle_fixtures_give_their_questions_with_categories(name, expected):
    result = moodle_xml.read(fixture(name))

    assert result.ok and not result.skipped, [str(p) for p in result.problems]
    assert [(d.type, d.stem, d.answer, d.category, d.line) for d in result.drafts] == expected


def test_moodle_invalid_grade_is_refused_as_moodle_refuses_it():
    """xmlformat_test.php expects 'invalidgradequestion' for the fraction 33 (valid is 33.33333)."""
    result = moodle_xml.read(fixture("xml/error_invalid_grades.xml"))

    assert not result.ok and not result.drafts
    (problem,) = result.problems
    assert problem.line == 38 and "33" in str(problem) and "Moodle 允许" in str(problem)


def test_moodle_invalid_grades_fixed_gives_a_multiple():
    data = fixture("xml/error_invalid_grades.xml").replace(b'fraction="33" ', b'fraction="33.33333" ')
    result = moodle_xml.read(data)

    assert result.ok
    (draft,) = result.drafts
    assert (draft.type, draft.stem, draft.options, draft.answer) == (
        "multiple", "Select all prime numbers :", ["1", "2", "3", "4", "5"], ["B", "C", "E"])


def test_moodle_broken_cloze_questions_are_all_skipped():
    result = moodle_xml.read(fixture("xml/broken_cloze_questions.xml"))

    assert result.ok and not result.drafts
    assert [(s.kind, s.line) for s in result.skipped] == [("cloze", 4), ("cloze", 20), ("cloze", 36), ("cloze", 52),
                                                          ("cloze", 68)]
    assert "没有任何子题" in str(result.skipped[0])
    assert all("已跳过" in str(s) for s in result.skipped)


# --- mapping -----------------------------------------------------------------------------------------------

MULTICHOICE = """
<question type="category"><category><text>$course$/top/党章</text></category></question>
<question type="multichoice">
  <name><text>单选</text></name>
  <questiontext format="html"><text><![CDATA[<p>党的<b>最高</b>领导机关是&nbsp;（ ）<br>请选择</p>
  <p><img src="@@PLUGINFILE@@/a.png" alt="示意图"><script>alert(1)</script></p>]]></text></questiontext>
  <generalfeedback format="html"><text>&lt;见&gt;党章第十条</text></generalfeedback>
  <single>true</single>
  <answer fraction="100" format="html"><text><![CDATA[<p>全国代表大会</p>]]></text></answer>
  <answer fraction="50" format="html"><text>中央委员会</text></answer>
  <answer fraction="0" format="html"><text>中央纪委</text></answer>
  <tags><tag><text>党章</text></tag><tag><text>组织制度</text></tag></tags>
</question>
<question type="multichoice">
  <name><text>多选</text></name>
  <questiontext format="plain_text"><text>下列 &lt;属于&gt; 民主集中制原则的有</text></questiontext>
  <single>false</single>
  <answer fraction="50"><text>甲</text></answer>
  <answer fraction="-100"><text>乙</text></answer>
  <answer fraction="50"><text>丙</text></answer>
</question>
"""


def test_multichoice_html_is_plain_text_and_single_keeps_the_full_credit_answer():
    result = moodle_xml.read(quiz(MULTICHOICE))

    assert result.ok, [str(p) for p in result.problems]
    single, multiple = result.drafts
    assert single.type == "single" and single.answer == "A"
    assert single.stem == "党的最高领导机关是 （ ）\n请选择\n\n[图片：示意图]"
    assert single.options == ["全国代表大会", "中央委员会", "中央纪委"]
    assert single.explanation == "<见>党章第十条"
    assert single.category == "党章" and single.knowledge_points == ["党章", "组织制度"]
    assert multiple.type == "multiple" and multiple.answer == ["A", "C"]
    assert multiple.stem == "下列 <属于> 民主集中制原则的有"


def test_essay_grader_info_is_the_reference_answer():
    body = """<question type="essay"><questiontext format="html"><text>简述干部选拔任用原则。</text></questiontext>
    <generalfeedback format="html"><text>见条例第二条</text></generalfeedback>
    <graderinfo format="html"><text><![CDATA[<p>党管干部</p><p>德才兼备</p>]]></text></graderinfo></question>"""
    (draft,) = moodle_xml.read(quiz(body)).drafts

    assert draft.type == "short_answer" and draft.explanation == "见条例第二条"
    assert draft.answer == {"reference": "党管干部\n\n德才兼备", "keywords": []}


def test_cloze_of_short_answers_is_a_multi_blank_fill_in():
    body = ('<question type="cloze"><questiontext format="html"><text><![CDATA[<p>党的组织原则是'
            "{1:SHORTANSWER:=民主集中制~%50%民主}，根本宗旨是{2:SA:=全心全意为人民服务#好~=为人民服务}。</p>]]>"
            "</text></questiontext></question>")
    (draft,) = moodle_xml.read(quiz(body)).drafts

    assert draft.type == "fill_blank"
    assert draft.stem == "党的组织原则是（ ），根本宗旨是（ ）。"
    assert draft.answer == [["民主集中制"], ["全心全意为人民服务", "为人民服务"]]


@pytest.mark.parametrize(
    ("kind", "fragment"),
    [("matching", "匹配题"), ("numerical", "数值题"), ("calculated", "计算题"), ("ddwtos", "拖放"),
     ("description", "不是题目"), ("random", "不是题目"), ("stack", "“stack”")],
)
def test_types_the_bank_lacks_are_skipped_with_a_reason(kind, fragment):
    result = moodle_xml.read(quiz(f'<question type="{kind}"><questiontext><text>x</text></questiontext></question>'))

    assert result.ok and not result.drafts
    (skipped,) = result.skipped
    assert skipped.kind == kind and skipped.line == 3 and fragment in str(skipped)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ('<question type="multichoice"><questiontext><text>题</text></questiontext>'
         '<answer fraction="0"><text>甲</text></answer><answer fraction="0"><text>乙</text></answer></question>',
         "没有得分为 100% 的选项"),
        ('<question type="multichoice"><questiontext><text>题</text></questiontext><single>false</single>'
         '<answer fraction="0"><text>甲</text></answer><answer fraction="-100"><text>乙</text></answer></question>',
         "没有得正分的选项"),
        ('<question type="multichoice"><questiontext><text>题</text></questiontext>'
         '<answer fraction="100"><text>甲</text></answer></question>', "至少需要两个选项"),
        ('<question type="truefalse"><questiontext><text>题</text></questiontext>'
         '<answer fraction="0"><text>true</text></answer><answer fraction="0"><text>false</text></answer></question>',
         "判断题没有"),
        ('<question type="shortanswer"><questiontext><text>题</text></questiontext>'
         '<answer fraction="50"><text>甲</text></answer></question>', "填空题没有"),
        ('<question type="essay"><questiontext><text> </text></questiontext></question>', "题干为空"),
        ('<question><questiontext><text>题</text></questiontext></question>', "缺少 type"),
        ('<question type="truefalse"><questiontext><text>题</text></questiontext>'
         '<answer fraction="abc"><text>true</text></answer></question>', "abc"),
    ],
)
def test_invalid_questions_are_problems_naming_the_line(body, fragment):
    result = moodle_xml.read(quiz("\n" + body))

    assert not result.ok and not result.drafts
    assert fragment in str(result.problems[0]), [str(p) for p in result.problems]
    assert result.problems[0].line == 4


# --- hostile and broken XML --------------------------------------------------------------------------------

XXE = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE quiz [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<quiz><question type="essay"><questiontext><text>&xxe;</text></questiontext></question></quiz>
"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<quiz><question type="essay"><questiontext><text>&lol9;</text></questiontext></question></quiz>
"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE quiz SYSTEM "http://example.invalid/quiz.dtd">
<quiz></quiz>
"""


@pytest.mark.parametrize("data", [XXE, BILLION_LAUGHS, EXTERNAL_DTD], ids=["xxe", "billion-laughs", "external-dtd"])
def test_hostile_xml_is_refused_with_a_clear_problem(data):
    result = moodle_xml.read(data)

    assert not result.ok and not result.drafts
    (problem,) = result.problems
    assert "DTD" in str(problem) and "拒绝" in str(problem)
    assert "root:" not in repr(result)


@pytest.mark.parametrize(
    ("data", "fragment", "line"),
    [
        (b'<?xml version="1.0"?>\n<quiz>\n<question type="essay">\n</quiz>\n', "XML 格式错误", 4),
        (b"", "XML 格式错误", 1),
        (b"<html><body>not a quiz</body></html>", "根元素应为 <quiz>", 1),
        (b'<?xml version="1.0" encoding="x-unknown-enc"?><quiz/>', "编码", None),
        (b"<quiz></quiz>", "没有找到任何题目", None),
        (b'<quiz>\n<question type="essay"><questiontext><text>&undefined;</text></questiontext></question></quiz>',
         "XML 格式错误", 2),
    ],
)
def test_broken_files_give_problems_not_exceptions(data, fragment, line):
    result = moodle_xml.read(data)

    assert not result.ok
    assert fragment in str(result.problems[0]) and result.problems[0].line == line


def test_gbk_xml_is_read_whether_declared_or_mislabelled():
    body = '<quiz><question type="truefalse"><questiontext><text>党章是根本大法</text></questiontext>' \
           '<answer fraction="100"><text>true</text></answer><answer fraction="0"><text>false</text></answer>' \
           '</question></quiz>'
    for declaration in ('<?xml version="1.0" encoding="GBK"?>', '<?xml version="1.0" encoding="UTF-8"?>'):
        result = moodle_xml.read((declaration + body).encode("gbk"))
        assert result.ok and result.drafts[0].stem == "党章是根本大法"
    assert moodle_xml.read(b"\xef\xbb\xbf\xef\xbb\xbf" + body.encode()).ok  # two BOMs


# --- sniffing ----------------------------------------------------------------------------------------------

def test_sniff_claims_moodle_xml_and_nothing_else():
    assert moodle_xml.sniff(fixture("xml/nested_categories.xml")) >= 90
    assert moodle_xml.sniff(b"\xef\xbb\xbf  <quiz>\n<question type='essay'/></quiz>") >= 90
    assert detect(fixture("xml/old_format_file.xml"), "export.xml") == "moodle_xml"
    for other in (fixture("gift/questions.gift.txt"), fixture("aiken/questions.aiken.txt"),
                  b"<html><body>x</body></html>", b"PK\x03\x04rest-of-a-zip", b""):
        assert moodle_xml.sniff(other) == 0


# --- writing and round trips ------------------------------------------------------------------------------

EXAMPLES = [
    QuestionDraft(type="single", stem="党的最高领导机关是（ ）", options=["全国代表大会", "中央委员会", "<b>不是标签</b> & 符号"],
                  answer="C", explanation="党章第十条", category="党章/总纲", knowledge_points=["组织制度"]),
    QuestionDraft(type="multiple", stem="多选\n第二行", options=["甲", "乙", "丙"], answer=["A", "B", "C"]),
    QuestionDraft(type="multiple", stem="只有一个正确的多选", options=["甲", "乙"], answer=["B"]),
    QuestionDraft(type="true_false", stem="判断  两个空格", answer=False, explanation="错"),
    QuestionDraft(type="fill_blank", stem="首都是___。", answer=[["北京", "北平"]]),
    QuestionDraft(type="fill_blank", stem="党的组织原则是（ ），宗旨是（ ）。", answer=[["民主集中制"], ["为人民服务", "a/b~c#d}\\e\""]]),
    QuestionDraft(type="short_answer", stem="简述。", answer={"reference": "要点一\n关键词：[]", "keywords": []}),
    QuestionDraft(type="short_answer", stem="简述二。", answer={"reference": "", "keywords": [["民主", "民主集中制"]]},
                  category=""),
]


def test_round_trip_examples():
    data = moodle_xml.write(EXAMPLES)
    result = moodle_xml.read(data)

    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<quiz>')
    assert result.ok and not result.skipped, [str(p) for p in result.problems]
    assert [essentials(d) for d in result.drafts] == [essentials(d) for d in EXAMPLES]


def test_written_multiple_uses_moodle_grades():
    text = moodle_xml.write([QuestionDraft(type="multiple", stem="三个正确", options=list("甲乙丙丁"),
                                           answer=["A", "B", "C"])]).decode()

    assert text.count('fraction="33.33333"') == 3 and text.count('fraction="-100"') == 1
    assert "<single>false</single>" in text


_ALPHABET = "中国共产党组织工作条例干部选拔任用第一二条规定民主集中abcXYZ019 {}=~#:\\%[]<>&/-*|\"'\n"
texts = st.text(alphabet=_ALPHABET, min_size=1, max_size=24).map(str.strip).filter(bool)
maybe_text = st.one_of(st.just(""), texts)


@st.composite
def xml_drafts(draw) -> QuestionDraft:
    kind = draw(st.sampled_from(["single", "multiple", "true_false", "fill_blank", "short_answer"]))
    stem, options = draw(texts), []
    if kind in ("single", "multiple"):
        options = draw(st.lists(texts, min_size=2, max_size=len(OPTION_KEYS)))
        keys = list(OPTION_KEYS[: len(options)])
        answer = draw(st.sampled_from(keys)) if kind == "single" else sorted(draw(st.sets(st.sampled_from(keys),
                                                                                         min_size=1)))
    elif kind == "true_false":
        answer = draw(st.booleans())
    elif kind == "fill_blank":
        answer = draw(st.lists(st.lists(texts, min_size=1, max_size=3), min_size=1, max_size=3))
        stem = draw(texts) + "".join("（ ）" + draw(maybe_text) for _ in answer)
    else:
        answer = {"reference": draw(maybe_text),
                  "keywords": draw(st.lists(st.lists(texts, min_size=1, max_size=3), max_size=3))}
    return QuestionDraft(type=kind, stem=stem.strip(), options=options, answer=answer,
                         explanation=draw(maybe_text), category=draw(st.sampled_from(["", "党章", "条例/第一章"])),
                         knowledge_points=draw(st.lists(texts, max_size=2)))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(xml_drafts(), min_size=1, max_size=5))
def test_round_trip_property(drafts):
    result = moodle_xml.read(moodle_xml.write(drafts))

    assert result.ok and not result.skipped, [str(p) for p in result.problems]
    assert [essentials(d) for d in result.drafts] == [essentials(d) for d in drafts]


# --- fuzzing -----------------------------------------------------------------------------------------------

_XMLISH = st.lists(st.sampled_from([
    "<quiz>", "</quiz>", '<question type="multichoice">', '<question type="truefalse">', '<question type="cloze">',
    '<question type="essay">', '<question type="shortanswer">', '<question type="category">', "</question>",
    "<questiontext format=\"html\">", "</questiontext>", "<text>", "</text>", '<answer fraction="100">',
    '<answer fraction="x">', "</answer>", "<single>false</single>", "<![CDATA[<p>a<br>b</p>]]>", "&amp;", "&lt;",
    "{1:SA:=a~%50%b}", "{1:MC:=a}", "党", "<graderinfo>", "</graderinfo>", "<!DOCTYPE x>", "<category>",
    "</category>", "<tags><tag><text>t</text></tag></tags>", "\n",
]), max_size=40).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.binary(max_size=300), st.text(max_size=200).map(str.encode), _XMLISH.map(str.encode)))
def test_read_and_sniff_never_raise(data):
    result = moodle_xml.read(data)
    assert result.format == "moodle_xml"
    assert isinstance(moodle_xml.sniff(data), int)
