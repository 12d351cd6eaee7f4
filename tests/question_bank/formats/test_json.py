"""JSON question lists: the real dump in tests/fixtures/banks/ (see SOURCES.md) and the shapes other tools write.

Invariant (DESIGN.md): bad input gets a clear error naming the line, and nothing is half-imported.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from question_bank import formats
from question_bank.drafts import ParseResult
from question_bank.formats import json as json_format

BANKS = Path(__file__).resolve().parents[2] / "fixtures" / "banks"
DUMP = "autoanswer_dangjian_tk.first300.json"


def read_dump() -> ParseResult:
    return formats.read((BANKS / DUMP).read_bytes(), DUMP)


def _line_of(text: str, needle: str) -> int:
    """The line of the record whose stem contains ``needle`` (its opening brace)."""
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if needle in line)
    return next(i for i in range(at, -1, -1) if lines[i].strip() == "{") + 1


# --- the 党建 dump: 300 records of question + answer, no options, no types ------------------------

def test_the_dump_is_detected_from_its_content_whatever_its_name():
    data = (BANKS / DUMP).read_bytes()
    assert formats.detect(data, DUMP) == "json"
    assert formats.detect(data, "题库.txt") == "json"
    assert formats.detect(data, "") == "json"


def test_the_dump_is_refused_naming_each_record_a_careful_reader_would_stop_at():
    text = (BANKS / DUMP).read_text("utf-8")
    result = read_dump()
    assert not result.ok
    named = {p.line: str(p) for p in result.problems}
    # the one key JavaScript wrote as "[object Object]"
    placeholder = _line_of(text, "是党的根本组织原则，是党内政治生活正常开展")
    assert "[object Object]" in named[placeholder]
    # "以下哪项…？": a choice question whose options the dump lost
    lost_options = _line_of(text, "以下哪项不属于全面增强执政本领")
    assert "没有选项" in named[lost_options]
    # two blanks but the key 理论政治 run together; five blanks and one key 党章
    assert "2 个空" in named[_line_of(text, "上的成熟是（）上成熟的基础")]
    assert "5 个空" in named[_line_of(text, "牢固树立（）意识")]
    assert len(result.problems) == 4


def test_the_dumps_other_records_read_as_true_false_and_fill_in_with_their_keys():
    result = read_dump()
    counts = result.counts_by_type()
    assert counts == {"single": 0, "multiple": 0, "true_false": 16, "fill_blank": 280, "short_answer": 0}
    assert len(result.drafts) + len(result.problems) == 300
    by_stem = {d.stem: d for d in result.drafts}
    assert by_stem["“四个自信”指道路自信、理论自信、制度自信、（）自信。"].answer == [["文化"]]
    assert by_stem["（）是危害党的生命力和战斗力的最大毒瘤，（）是最彻底的自我革命。"].answer == [["腐败"], ["反腐败"]]
    assert by_stem["（）、（）、（），是全面建设社会主义现代化国家的内在要求。"].answer == [["尊重自然"], ["顺应自然"], ["保护自然"]]
    true_false = [d for d in result.drafts if d.type == "true_false"]
    assert {d.answer for d in true_false} == {True, False}
    # a blank typed （) — full-width open, half-width close — is still a blank
    assert any(d.stem.startswith("习近平总书记在二十届中央纪委二次全会上发表重要讲话强调，要一刻不停推进（)") and d.type == "fill_blank"
               for d in result.drafts)


# --- the shapes other tools write ----------------------------------------------------------------

def _dumps(value, **options) -> str:
    return json.dumps(value, ensure_ascii=False, **options)


def _read(value, **options) -> ParseResult:
    return formats.read(_dumps(value, **options).encode("utf-8"), "bank.json")


def test_chinese_field_names_options_as_a_list_and_a_type():
    result = _read([{"题型": "单选", "题干": "党的最高领导机关是（ ）。", "选项": ["A. 全国代表大会和中央委员会", "B．中央纪委"],
                     "答案": "A", "解析": "见党章第十条", "分值": 2, "难度": "易", "知识点": "党章、组织制度"}])
    assert result.ok, [str(p) for p in result.problems]
    [d] = result.drafts
    assert (d.type, d.options, d.answer, d.explanation, d.points, d.difficulty) == (
        "single", ["全国代表大会和中央委员会", "中央纪委"], "A", "见党章第十条", 2.0, 1)
    assert d.knowledge_points == ["党章", "组织制度"]


def test_a_list_under_one_key_options_keyed_by_letter_or_in_fields_and_an_answer_list():
    value = {"RECORDS": [
        {"title": "下列属于党的纪律的有（ ）", "optionA": "政治纪律", "optionB": "组织纪律", "optionC": "休假纪律", "answer": ["A", "B"]},
        {"Question": "党员有表决权。", "Answer": True},
        {"stem": "民主集中制是党的根本（ ）原则。", "options": {"A": "组织", "B": "思想"}, "key": "A"},
    ]}
    result = _read(value, indent=2)
    assert result.ok, [str(p) for p in result.problems]
    assert [(d.type, d.options, d.answer) for d in result.drafts] == [
        ("multiple", ["政治纪律", "组织纪律", "休假纪律"], ["A", "B"]),
        ("true_false", [], True),
        ("single", ["组织", "思想"], "A"),
    ]
    text = _dumps(value, indent=2)
    assert [d.line for d in result.drafts] == [_line_of(text, stem) for stem in ("下列属于党的纪律", "党员有表决权", "民主集中制是")]


def test_a_key_naming_an_option_that_is_not_there_is_refused_on_the_records_line():
    value = [{"question": "甲（ ）", "options": ["一", "二"], "answer": "A"},
             {"question": "乙（ ）", "options": ["一", "二"], "answer": "C"}]
    result = _read(value, indent=1)
    assert [p.line for p in result.problems] == [_line_of(_dumps(value, indent=1), "乙")]
    assert "C" in str(result.problems[0])


@pytest.mark.parametrize("data, says", [
    (b'[{"question": "a"', "不是有效的 JSON"),
    (b'{"a": 1}', "最外层"),
    (b"[]", "没有找到题目"),
    (b'[1, 2]', "不是题目对象"),
    (b'[{"name": "x"}]', "没有题干"),
    (b'[{"question": "x", "answer": {"k": 1}}]', "不是文字"),
    (b'[{"question": "x", "answer": "undefined"}]', "占位值"),
])
def test_what_is_not_a_question_list_is_one_clear_problem(data, says):
    result = formats.read(data, "bank.json")
    assert not result.ok and result.drafts == []
    assert says in str(result.problems[0])


def test_gbk_and_a_bom_are_read():
    record = '[{"question": "党的根本组织原则是（ ）。", "answer": "民主集中制"}]'
    for data in (record.encode("gbk"), b"\xef\xbb\xbf" + record.encode("utf-8")):
        result = formats.read(data, "bank.json")
        assert [d.answer for d in result.drafts] == [[["民主集中制"]]]


def test_sniff_leaves_other_text_alone():
    assert json_format.sniff(b"1. question\nA. x\nB. y\n\xe7\xad\x94\xe6\xa1\x88\xef\xbc\x9aA\n") == 0
    assert json_format.sniff(b"PK\x03\x04") == 0
    assert json_format.sniff(b'[{"question": "x"}]') > formats.get("txt").sniff(b'[{"question": "x"}]')


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda children: st.lists(children, max_size=4) | st.dictionaries(
                        st.sampled_from(["question", "answer", "options", "type", "题干", "A", "x"]), children, max_size=4),
                    max_leaves=12))
def test_any_json_value_gives_a_result_never_an_exception(value):
    assert isinstance(json_format.read(json.dumps(value, ensure_ascii=False).encode("utf-8")), ParseResult)


def test_a_nested_list_is_found_by_its_key_even_escaped_or_named_in_an_earlier_string():
    escaped = b'{"\\u6570\\u636e": [{"question": "\xe5\x85\x9a\xe7\xab\xa0\xef\xbc\x88 \xef\xbc\x89", "answer": "x"}]}'
    assert [d.answer for d in formats.read(escaped, "bank.json").drafts] == [[["x"]]]
    decoy = ('{"note": "the \\"RECORDS\\": list follows", "counts": [1, 2],\n'
             ' "RECORDS": [\n  {"question": "党章（ ）", "answer": "x"}]}').encode("utf-8")
    result = formats.read(decoy, "bank.json")
    assert [(d.line, d.answer) for d in result.drafts] == [(3, [["x"]])]
