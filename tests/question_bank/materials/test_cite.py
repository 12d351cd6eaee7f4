"""Reading a question's 出处 and resolving the title it names."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from question_bank.materials.cite import Citation, match_title, normalize_title, parse_citation


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("《中华人民共和国保密法》第十二条", Citation("中华人民共和国保密法", 12)),
        ("《条例》第十二条第二款", Citation("条例", 12, 0, 2)),
        ("保密法第12条", Citation("保密法", 12)),
        ("《刑法》第一百二十条之一", Citation("刑法", 120, 1)),
        ("《刑法》第一百二十条之一第二款", Citation("刑法", 120, 1, 2)),
        ("《中国共产党组织工作条例》第十一条", Citation("中国共产党组织工作条例", 11)),
        ("《立法法》（2023年修正）第十条", Citation("立法法", 10)),
        ("出处：《监察法》第二十二条第一款第（三）项", Citation("监察法", 22, 0, 1, 3)),
        ("  《中国共产党组织工作条例》 第 十二 条 ", Citation("中国共产党组织工作条例", 12)),
        ("刑法 第１２０条之一", Citation("刑法", 120, 1)),
        ("见保密法第十条", Citation("保密法", 10)),
        ("第十条", Citation(None, 10)),
        ("《条例》第二百条", Citation("条例", 200)),
        ("《条例》第一百零五条", Citation("条例", 105)),
        ("《条例》第十二条、第十三条", Citation("条例", 12)),  # the first one
    ],
)
def test_parse_citation(text, expected):
    assert parse_citation(text) == expected


@pytest.mark.parametrize("text", ["", "无", "《保密法》", "《刑法》第0条", "第十款", "保密法第条", "《条例》第十百条"])
def test_citations_without_an_article(text):
    assert parse_citation(text) is None


def test_citation_label():
    assert parse_citation("《刑法》第一百二十条之一").label == "第一百二十条之一"
    assert parse_citation("保密法第12条").label == "第十二条"


KNOWN = [
    "中华人民共和国保守国家秘密法",
    "中华人民共和国监察法",
    "中华人民共和国立法法",
    "中华人民共和国刑法",
    "中国共产党组织工作条例",
]


@pytest.mark.parametrize(
    ("cited", "expected"),
    [
        # rule 1: equal once 《》, 中华人民共和国/中国共产党 and edition notes are dropped
        ("中华人民共和国监察法", "中华人民共和国监察法"),
        ("《监察法》", "中华人民共和国监察法"),
        ("刑法", "中华人民共和国刑法"),
        ("《中华人民共和国刑法（2023年修正）》", "中华人民共和国刑法"),
        ("组织工作条例", "中国共产党组织工作条例"),
        # rule 2: a bare kind word, one material of that kind
        ("条例", "中国共产党组织工作条例"),
        ("《条例》", "中国共产党组织工作条例"),
        # rule 3: an abbreviation (characters in order, same last character)
        ("保密法", "中华人民共和国保守国家秘密法"),
        ("《中华人民共和国保密法》", "中华人民共和国保守国家秘密法"),
        # rule 4: a typo
        ("保守国家秘秘法", "中华人民共和国保守国家秘密法"),
        # nothing fits
        ("宪法", None),
        ("中国共产党纪律处分条例", None),
        ("法", None),  # a kind word shared by four materials
        ("", None),
        (None, None),
    ],
)
def test_match_title(cited, expected):
    assert match_title(cited, KNOWN) == expected


def test_a_bare_kind_word_is_ambiguous_with_two_materials_of_that_kind():
    assert match_title("条例", [*KNOWN, "干部教育培训工作条例"]) is None
    assert match_title("干部教育培训工作条例", [*KNOWN, "干部教育培训工作条例"]) == "干部教育培训工作条例"


def test_an_abbreviation_must_keep_the_kind():
    # 监察法 is not 监察法实施条例, and 刑法 is not 刑法修正案（十一）
    known = ["中华人民共和国监察法实施条例", "中华人民共和国刑法修正案（十一）"]
    assert match_title("监察法", known) is None
    assert match_title("监察法", [*known, "中华人民共和国监察法"]) == "中华人民共和国监察法"
    assert match_title("刑法", [*known, "中华人民共和国刑法"]) == "中华人民共和国刑法"


def test_no_known_titles():
    assert match_title("保密法", []) is None


def test_normalize_title():
    assert normalize_title("《中华人民共和国保守国家秘密法（2024年修订）》") == "保守国家秘密法"
    assert normalize_title(" 《中国共产党 组织工作条例》") == "组织工作条例"
    assert normalize_title("中华人民共和国") == "中华人民共和国"


@given(st.text())
def test_never_raises(text):
    parse_citation(text)
    match_title(text, KNOWN)
