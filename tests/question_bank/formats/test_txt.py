"""Plain-text banks in the Word layout, on real files (tests/fixtures/banks/SOURCES.md) and pasted text.

Invariant (DESIGN.md): bad input gets a clear error naming the line, and nothing is half-imported.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from question_bank.drafts import ParseResult
from question_bank.formats import txt
from question_bank.formats.wordlayout import EMPTY_BLANK

BANKS = Path(__file__).resolve().parents[2] / "fixtures" / "banks"
OPTION_LINE = re.compile(r"^\s*(?:[(（]\s*[A-HＡ-Ｈ]\s*[)）]|[A-HＡ-Ｈ]\s*[.．、:：)）])", re.M)


def read(name: str) -> ParseResult:
    return txt.read((BANKS / name).read_bytes())


def by_line(result: ParseResult) -> dict[int, object]:
    return {d.line: d for d in result.drafts}


def assert_clean_stems(result: ParseResult) -> None:
    for d in result.drafts:
        assert not OPTION_LINE.search(d.stem), (d.line, d.stem)
        assert not re.search(r"[(（]\s*[A-H]+\s*[)）]", d.stem), (d.line, d.stem)  # no key left in a stem


# --- dj_shiwuwu_tiku.txt: two sections, keys in the stems' brackets, two options per line, CRLF ---

def test_dj_counts_by_type():
    result = read("dj_shiwuwu_tiku.txt")
    assert result.ok, [str(p) for p in result.problems]
    assert result.counts_by_type() == {"single": 26, "multiple": 8, "true_false": 0, "fill_blank": 0,
                                       "short_answer": 0}


@pytest.mark.parametrize("line, qtype, key, stem", [
    (3, "single", "B", "“十五五”规划强调以国内大循环为主体、国内国际双循环相互促进。下列表述正确的是（ ）。"),
    (9, "single", "B", "在财政金融方面，“十五五”强调的核心逻辑是（ ）"),
    (24, "single", "A", "关于基础研究的定位，正确表述是（ ）"),
    (27, "single", "A", "2025年中央经济工作会议指出，2026年经济工作要实现“十五五”良好开局，必须坚持稳中求进工作总基调，"
                        "更好统筹国内经济工作和（ ），更好统筹发展和安全。"),
    (45, "single", "C", "习近平总书记在哪个重要会议上鲜明提出了积极培育中国特色金融文化这一重大课题（ ）。"),
    (53, "single", "C", None),
    (92, "single", "B", "根据党的二十届四中全会公报，“十五五”时期经济社会发展主要目标之一是（ ）"),
    (100, "multiple", ["A", "B", "C"], None),
    (114, "multiple", ["A", "B", "C", "D", "E"], None),
    (118, "multiple", ["A", "B", "C"], "习近平总书记强调，金融行业要树立正确的“三观”，稳健审慎经营。这“三观”指的是（ ）。"),
    (122, "multiple", ["A", "B", "C", "D", "E", "F"], None),
])
def test_dj_spot_checks(line, qtype, key, stem):
    d = by_line(read("dj_shiwuwu_tiku.txt"))[line]
    assert (d.type, d.answer) == (qtype, key)
    if stem is not None:
        assert d.stem == stem
    assert EMPTY_BLANK in d.stem  # the key's bracket stays as the blank the cadre fills


def test_dj_two_options_on_one_line_and_options_up_to_f():
    drafts = by_line(read("dj_shiwuwu_tiku.txt"))
    assert drafts[3].options == ["只强调出口导向", "以国内市场为主导", "忽视国内需求", "加强对外依赖"]
    assert drafts[118].options == ["经营观", "业绩观", "风险观", "发展观", "价值观"]
    assert drafts[122].options[4:] == ["坚持有效市场和有为政府相结合", "坚持统筹发展和安全"]
    assert all(len(d.options) >= 4 for d in drafts.values())


def test_dj_every_stem_keeps_a_blank_and_no_option_line():
    result = read("dj_shiwuwu_tiku.txt")
    assert all(d.stem.count(EMPTY_BLANK) == 1 for d in result.drafts)
    assert_clean_stems(result)
    assert not any("\r" in d.stem or any("\r" in o for o in d.options) for d in result.drafts)


def test_dj_stray_line_repeating_an_option_is_listed_not_kept():
    result = read("dj_shiwuwu_tiku.txt")
    assert "小康" not in by_line(result)[92].stem
    assert [(s.line, s.kind) for s in result.skipped] == [(93, "repeated_line")]


# --- study_xi_abcdtiku: 30 single, no numbers, bare answer letter; UTF-8 and GBK ---------------------

STUDY_XI_KEYS = list("BCBABDACABBAABAADAABBAABCDBACC")


@pytest.mark.parametrize("name", ["study_xi_abcdtiku.txt", "study_xi_abcdtiku.gbk.txt"])
def test_study_xi_counts_and_keys(name):
    result = read(name)
    assert result.ok, [str(p) for p in result.problems]
    assert result.counts_by_type()["single"] == 30 and len(result.drafts) == 30
    assert [d.answer for d in result.drafts] == STUDY_XI_KEYS
    assert [d.line for d in result.drafts] == list(range(1, 180, 6))
    assert all(len(d.options) == 4 for d in result.drafts)
    assert_clean_stems(result)
    assert result.skipped == []


def test_study_xi_gbk_reads_the_same_as_utf8():
    assert read("study_xi_abcdtiku.gbk.txt").drafts == read("study_xi_abcdtiku.txt").drafts


def test_study_xi_spot_checks():
    drafts = by_line(read("study_xi_abcdtiku.txt"))
    assert drafts[1].stem == "习近平总书记在学习贯彻党的十八大精神研讨班上的讲话中，分（）个时间段对社会主义五百年的历史进行了系统回顾和梳理。"
    assert drafts[1].options == ["五", "六", "七", "八"]
    assert (drafts[49].stem, drafts[49].answer) == ("（）是国家强盛之基，（）是民族进步之魂。", "A")
    assert drafts[49].options[0] == "科技 创新"
    assert (drafts[97].stem, drafts[97].answer) == ("（）是党的根本组织制度和领导制度。", "D")
    assert drafts[133].stem.startswith("“要努力建设（）")


# --- zztk_xuexitong_tiku.txt: 231 multiple choice, 42 keys name an E that is not printed ---------------

ZZTK_E_LINES = [406, 487, 496, 667, 685, 694, 703, 730, 1072, 1081, 1162, 1360, 1369, 1378, 1405, 1414, 1423,
                1549, 1567, 1585, 1621, 1630, 1639, 1648, 1657, 1738, 1756, 1765, 1819, 1846, 1855, 1864, 1873,
                1909, 1918, 1927, 1936, 1945, 1990, 2008, 2017, 2062]


def test_zztk_is_refused_naming_all_42_lines_with_an_e_key():
    """Invariant: nothing is half-imported — every wrong key is named on its question's line."""
    result = read("zztk_xuexitong_tiku.txt")
    assert not result.ok
    assert len(ZZTK_E_LINES) == 42
    assert [p.line for p in result.problems] == ZZTK_E_LINES
    assert all("不存在的选项 E" in p.message.text and "只有 4 个选项" in p.message.text for p in result.problems)
    assert str(result.problems[0]) == "第 406 行：答案“ABCDE”含有不存在的选项 E（本题只有 4 个选项）"
    assert str(result.problems[3]) == "第 667 行：答案“ACDE”含有不存在的选项 E（本题只有 4 个选项）"


def test_zztk_other_189_questions_parse_with_their_keys():
    result = read("zztk_xuexitong_tiku.txt")
    assert result.counts_by_type() == {"single": 0, "multiple": 189, "true_false": 0, "fill_blank": 0,
                                       "short_answer": 0}
    stem_lines = [i for i, line in enumerate((BANKS / "zztk_xuexitong_tiku.txt").read_text("utf-8-sig").split("\n"), 1)
                  if re.match(r"^\ufeff*\d+\. ", line)]
    assert len(stem_lines) == 231
    assert sorted([d.line for d in result.drafts] + ZZTK_E_LINES) == stem_lines
    drafts = by_line(result)
    assert (drafts[1].stem, drafts[1].answer, drafts[1].points) == (
        "社会主义政治发展的必然要求是坚持( )的有机统一。", ["A", "B", "C"], 0.4)
    assert drafts[1].options == ["党的领导", "人民当家作主", "依法治国", "人民民主专政"]
    assert (drafts[10].answer, drafts[37].points) == (["A", "B"], 0.5)
    assert drafts[109].answer == ["B", "C"]
    assert drafts[613].answer == ["C", "D"]
    assert drafts[2071].answer == ["A", "B", "C", "D"]  # 我的答案: ABCDE on that question is ignored
    assert all(len(d.options) == 4 and isinstance(d.answer, list) and len(d.answer) >= 2 for d in result.drafts)
    assert_clean_stems(result)


def test_zztk_two_boms_do_not_reach_the_first_stem():
    data = (BANKS / "zztk_xuexitong_tiku.txt").read_bytes()
    assert data.startswith("\ufeff\ufeff".encode())
    assert by_line(txt.read(data))[1].stem.startswith("社会主义")


# --- decoding, pasted text, sniffing ------------------------------------------------------------

SAMPLE = "一、单选题\n1.党的最高领导机关是（ B ）\nA.党中央  B.党的全国代表大会和它所产生的中央委员会\n"


@pytest.mark.parametrize("encoding, prefix", [
    ("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-8", b"\xef\xbb\xbf\xef\xbb\xbf"), ("gbk", b""), ("gb18030", b""),
])
def test_read_decodes_boms_and_gbk(encoding, prefix):
    result = txt.read(prefix + SAMPLE.replace("\n", "\r\n").encode(encoding))
    assert result.ok and [(d.line, d.answer) for d in result.drafts] == [(2, "B")]


def test_read_text_is_the_same_as_reading_the_file():
    data = (BANKS / "dj_shiwuwu_tiku.txt").read_bytes()
    assert txt.read_text(data.decode("utf-8")).drafts == txt.read(data).drafts


def test_undecodable_bytes_are_one_problem():
    result = txt.read(b"1.\xff\xff\xff\n")
    assert not result.ok and result.drafts == []
    assert "UTF-8" in result.problems[0].message.text


@pytest.mark.parametrize("name", ["dj_shiwuwu_tiku.txt", "study_xi_abcdtiku.txt", "study_xi_abcdtiku.gbk.txt",
                                  "zztk_xuexitong_tiku.txt"])
def test_sniff_recognises_the_layout(name):
    assert txt.sniff((BANKS / name).read_bytes()) == 60


@pytest.mark.parametrize("data, score", [
    ("随便一段文字\n没有题目".encode(), 5),
    (b"", 0),
    (b"PK\x03\x04rest", 0),
    (b"abc\x00def", 0),
])
def test_sniff_other_input(data, score):
    assert txt.sniff(data) == score


def test_sniff_does_not_claim_a_word_file():
    assert txt.sniff((BANKS / "dj_shiwuwu_tiku.docx").read_bytes()) == 0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_read_text_never_raises(text):
    """Invariant: arbitrary pasted text gives a ParseResult, never an exception."""
    assert isinstance(txt.read_text(text), ParseResult)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary())
def test_read_and_sniff_never_raise_on_bytes(data):
    assert isinstance(txt.read(data), ParseResult)
    assert txt.sniff(data) >= 0
