"""Splitting regulation texts into 编/章/节/条, and policy texts into numbered sections."""
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from question_bank.materials.numerals import article_label
from question_bank.materials.parse import parse_material

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "regulations"


def load(name: str):
    return parse_material((FIXTURES / f"{name}.txt").read_text(encoding="utf-8"))


# What a reader counts in each real text (see tests/fixtures/regulations/SOURCES.md):
# - articles: the last article number, plus the 第X条之Y articles (刑法 only: 452 + 53 = 505);
# - chapters: the 第X章 headings; 刑法 numbers them afresh in each 编 (5 in 总则 + 10 in 分则 = 15),
#   and its un-numbered 附则 and 附件一/附件二 are not chapters;
# - sections: the 第X节 headings (立法法: 5 in 第二章 + 2 in 第四章; 刑法: 2+8+8 in 第一编, 8+9 in 第二编).
# None of the eight texts has a 目录.
REAL_TEXTS = [
    # name, chapters, 节, 编, articles, of them 之Y, last article
    ("baomi-fa-2010", 6, 0, 0, 53, 0, "第五十三条"),
    ("baomi-fa-2024", 6, 0, 0, 65, 0, "第六十五条"),
    ("jiancha-fa-2018", 9, 0, 0, 69, 0, "第六十九条"),
    ("jiancha-fa-2024", 9, 0, 0, 78, 0, "第七十八条"),
    ("lifa-fa-2015", 6, 7, 0, 105, 0, "第一百零五条"),
    ("lifa-fa-2023", 6, 7, 0, 120, 0, "第一百二十条"),
    ("xingfa-2020", 15, 37, 2, 505, 53, "第四百五十二条"),
    ("xingfa-2023", 15, 37, 2, 505, 53, "第四百五十二条"),
]


@pytest.mark.parametrize(
    ("name", "chapters", "sections", "parts", "articles", "suffixed", "last"), REAL_TEXTS
)
def test_real_texts_parse_to_what_a_reader_counts(name, chapters, sections, parts, articles, suffixed, last):
    structure = load(name)
    assert structure.chapters == chapters
    assert structure.division_count("section") == sections
    assert structure.division_count("part") == parts
    assert len(structure.articles) == articles
    assert sum(1 for a in structure.articles if a.suffix) == suffixed
    assert structure.articles[-1].label == last
    assert not structure.warnings


@pytest.mark.parametrize("name", [row[0] for row in REAL_TEXTS])
def test_real_texts_number_their_articles_without_gaps(name):
    structure = load(name)
    plain = [a.number for a in structure.articles if not a.suffix]
    assert plain == list(range(1, len(plain) + 1))
    keys = [a.key for a in structure.articles]
    assert keys == sorted(keys)
    assert [a.position for a in structure.articles] == list(range(len(structure.articles)))


@pytest.mark.parametrize("name", [row[0] for row in REAL_TEXTS])
def test_every_article_start_in_the_file_is_an_article_and_nothing_else(name):
    text = (FIXTURES / f"{name}.txt").read_text(encoding="utf-8")
    starts = re.findall(r"^第[一二三四五六七八九十百零]+条(?:之[一二三四五六七八九十]+)? ", text, flags=re.M)
    structure = load(name)
    assert [a.label for a in structure.articles] == [s.strip() for s in starts]
    for article in structure.articles:
        assert not re.search(r"^第[一二三四五六七八九十百零]+条(之[一二三四五六七八九十]+)? ", article.text, flags=re.M)


@pytest.mark.parametrize("name", [row[0] for row in REAL_TEXTS])
def test_articles_sit_in_their_chapters(name):
    structure = load(name)
    for article in structure.articles:
        assert article.path, article.label
        assert article.path[-1] in {"附则"} or any(p.endswith(("章", "节")) for p in article.path)
    counted = sum(len(d.articles) for d in structure.all_divisions())
    assert counted == len(structure.articles)


def test_cross_references_inside_articles_stay_inside():
    xingfa = load("xingfa-2020")
    article = xingfa.article(355)
    assert "依照本法第三百四十七条的规定定罪处罚" in article.text
    assert xingfa.article(347).text.startswith("走私、贩卖、运输、制造毒品")
    baomi = load("baomi-fa-2024")
    assert "本法第四十一条第二款" in baomi.article(60).text
    jiancha = load("jiancha-fa-2024")
    assert "本法第二十四条第一款" in jiancha.article(23).text


def test_xingfa_structure():
    xingfa = load("xingfa-2020")
    parts = [d for d in xingfa.divisions if d.kind == "part"]
    assert [(p.label, p.title) for p in parts] == [("第一编", "总则"), ("第二编", "分则")]
    assert [c.label for c in parts[0].children] == ["第一章", "第二章", "第三章", "第四章", "第五章"]
    assert len(parts[1].children) == 10
    assert xingfa.article(1).path == ("第一编", "第一章")
    assert xingfa.article(170).path == ("第二编", "第三章", "第四节")
    art = xingfa.article(120, 1)
    assert art.label == "第一百二十条之一" and art.path == ("第二编", "第二章")
    assert xingfa.article(120, 6).label == "第一百二十条之六"
    assert xingfa.article(120, 7) is None
    assert xingfa.article(408, 1).text.startswith("负有食品药品安全监督管理职责")


def test_xingfa_supplementary_part_and_annexes_are_not_chapters_or_articles():
    xingfa = load("xingfa-2020")
    kinds = [(d.kind, d.label) for d in xingfa.divisions]
    assert kinds[-3:] == [("supplementary", "附则"), ("annex", "附件一"), ("annex", "附件二")]
    last = xingfa.article(452)
    assert last.path == ("附则",)
    assert last.text.startswith("本法自1997年10月1日起施行。")
    assert last.text.endswith("适用本法规定。")
    annex = xingfa.divisions[-2]
    assert "1．中华人民共和国惩治军人违反职责罪暂行条例" in annex.text
    assert "附件" not in last.text.replace("本法附件", "")


def test_a_compilers_footnote_is_a_note_not_article_text():
    # 刑法 2023 has "① 刑法、历次刑法修正案……施行日期确定。" after 第四百五十二条
    old, new = load("xingfa-2020"), load("xingfa-2023")
    assert old.notes == []
    assert len(new.notes) == 1
    note = new.notes[0]
    assert note.text.startswith("① 刑法、历次刑法修正案")
    assert note.after == "第四百五十二条"
    assert new.article(452).text == old.article(452).text


def test_title_preamble_and_division_titles():
    baomi = load("baomi-fa-2024")
    assert baomi.title == "中华人民共和国保守国家秘密法"
    assert baomi.preamble.splitlines() == [
        "1988年9月5日 第七届全国人民代表大会常务委员会第三次会议通过",
        "2010年4月29日 第十一届全国人民代表大会常务委员会第十四次会议第一次修订",
        "2024年2月27日 第十四届全国人民代表大会常务委员会第八次会议第二次修订）",
    ]
    # "第一章 总 则" in the file: decorative spaces inside the title are dropped
    assert [(d.label, d.title) for d in baomi.divisions][0] == ("第一章", "总则")
    assert baomi.divisions[-1].heading == "第六章 附则"
    assert len(load("xingfa-2023").preamble.splitlines()) == 16


def test_article_text_keeps_paragraphs_and_items():
    baomi = load("baomi-fa-2010")
    art = baomi.article(9)
    assert art.paragraphs[0].startswith("下列涉及国家安全和利益的事项")
    assert art.paragraphs[1] == "（一）国家事务重大决策中的秘密事项；"
    assert art.paragraphs[-1] == "政党的秘密事项中符合前款规定的，属于国家秘密。"
    assert len(art.paragraphs) == 9


# --- synthetic texts -------------------------------------------------------------------------

REGULATION = """中国共产党某某工作条例

目　录

第一章　总　则
第二章　组织机构
第三章　附　则

（2020年1月1日中共中央批准　2020年2月1日中共中央办公厅发布）

第一章　总　则

第一条　为了加强某某工作，根据《中国共产党章程》，制定本条例。
第二条 本条例适用于各级党组织。
第十条规定的情形除外。
第三条依照第十条的规定执行。本法第二十条第一款另有规定的除外。
　　第四条　党组织应当：
（一）坚持党的领导；
（二）坚持民主集中制。
注：本条所称党组织包括党委、党组。

第二章　组织机构

第4条之一 新增的条款。
第5条 阿拉伯数字条号。
第四条 所列事项，依照前款办理。
第五条、第六条的规定适用于本章。
[1] 脚注一。

第三章　附　则

第六条 本条例由中央组织部负责解释。
第七条 本条例自发布之日起施行。
"""


def test_table_of_contents_is_not_counted():
    s = parse_material(REGULATION)
    assert s.title == "中国共产党某某工作条例"
    assert s.toc == ["第一章　总　则", "第二章　组织机构", "第三章　附　则"]
    assert s.chapters == 3
    assert [d.title for d in s.divisions] == ["总则", "组织机构", "附则"]
    assert s.preamble == "（2020年1月1日中共中央批准　2020年2月1日中共中央办公厅发布）"
    assert [a.label for a in s.articles] == [
        "第一条", "第二条", "第三条", "第四条", "第四条之一", "第五条", "第六条", "第七条",
    ]


def test_a_line_that_opens_with_a_reference_is_not_an_article():
    s = parse_material(REGULATION)
    assert s.article(2).text == "本条例适用于各级党组织。\n第十条规定的情形除外。"
    # no space after the label, but the words make it an article: 第三条依照……
    assert s.article(3).text == "依照第十条的规定执行。本法第二十条第一款另有规定的除外。"
    # out of order (第四条 after 第五条) or followed by 、: text of the article before
    assert s.article(5).text == "阿拉伯数字条号。\n第四条 所列事项，依照前款办理。\n第五条、第六条的规定适用于本章。"
    assert any("第四条" in w for w in s.warnings)
    assert s.article(10) is None


def test_indented_articles_items_and_notes():
    s = parse_material(REGULATION)
    art = s.article(4)
    assert art.line == 17
    assert art.text == "党组织应当：\n（一）坚持党的领导；\n（二）坚持民主集中制。"
    assert [(n.text, n.after) for n in s.notes] == [
        ("注：本条所称党组织包括党委、党组。", "第四条"),
        ("[1] 脚注一。", "第五条"),
    ]


def test_arabic_numbers_and_zhi_yi():
    s = parse_material(REGULATION)
    art = s.article(4, 1)
    assert (art.label, art.text, art.path) == ("第四条之一", "新增的条款。", ("第二章",))
    assert s.article(5).label == "第五条"


def test_label_alone_on_its_line():
    s = parse_material("第一条\n为了……，制定本办法。\n第二条\n本办法自公布之日起施行。")
    assert [(a.label, a.text) for a in s.articles] == [
        ("第一条", "为了……，制定本办法。"), ("第二条", "本办法自公布之日起施行。"),
    ]
    assert s.title is None


def test_parts_subparts_chapters_sections_nest():
    text = "\n".join([
        "某法", "第一编 总则", "第一章 一般规定", "第一条 甲。", "第二编 分则", "第一分编 通则", "第一章 乙",
        "第一节 丙", "第二条 乙丙。", "第二节 丁", "第二条之一 丁。", "第二章 戊", "第三条 戊。",
    ])
    s = parse_material(text)
    assert s.chapters == 3
    assert s.division_count("subpart") == 1
    assert s.article(2).path == ("第二编", "第一分编", "第一章", "第一节")
    assert s.article(2, 1).path == ("第二编", "第一分编", "第一章", "第二节")
    assert s.article(3).path == ("第二编", "第一分编", "第二章")


def test_table_of_contents_with_page_numbers_and_parts():
    text = "\n".join([
        "某法", "目录", "第一编 总则 ……1", "第一章 任务 ……1", "第二编 分则 ……5", "第一章 罪名 ……5", "附则 ……9",
        "第一编 总则", "第一章 任务", "第一条 甲。", "第二编 分则", "第一章 罪名", "第二条 乙。", "附则", "第三条 丙。",
    ])
    s = parse_material(text)
    assert len(s.toc) == 5
    assert s.chapters == 2
    assert s.division_count("part") == 2
    assert s.article(3).path == ("附则",)


POLICY = """关于加强某某工作的意见

为深入贯彻落实党中央决策部署，现提出如下意见。

一、总体要求
（一）指导思想。坚持以习近平新时代中国特色社会主义思想为指导。
（二）工作目标。到2025年，基本建成。
1.完善制度。
2．加强队伍。
二、主要任务
（一）加强学习。各级党组织要抓好学习。
（1）集中学习。
三、组织保障
各地区各部门要结合实际抓好落实。
"""


def test_policy_text_without_articles_splits_by_numbered_paragraphs():
    s = parse_material(POLICY)
    assert s.articles == []
    assert s.title == "关于加强某某工作的意见"
    assert s.preamble == "为深入贯彻落实党中央决策部署，现提出如下意见。"
    assert [(x.level, x.ref) for x in s.sections] == [
        (1, "一、"), (2, "一、（一）"), (2, "一、（二）"), (3, "一、（二）1."), (3, "一、（二）2."),
        (1, "二、"), (2, "二、（一）"), (4, "二、（一）（1）"), (1, "三、"),
    ]
    assert s.units == s.sections
    first = s.sections[1]
    assert (first.label, first.title, first.key) == ("（一）", "指导思想", (1, 1))
    assert first.text == "指导思想。坚持以习近平新时代中国特色社会主义思想为指导。"
    assert s.sections[-1].text == "组织保障\n各地区各部门要结合实际抓好落实。"
    assert s.unit("一、（二）2.").title == "加强队伍"


def test_policy_numbering_inside_articles_is_not_sections():
    s = parse_material("第一条 应当：\n一、甲；\n二、乙。\n第二条 丙。")
    assert s.sections == []
    assert s.article(1).text == "应当：\n一、甲；\n二、乙。"


@pytest.mark.parametrize("text", ["", "   \n\n", "\ufeff", "只有一行。", "第", "第十", "第十条之", "目录", "附件一"])
def test_degenerate_texts(text):
    s = parse_material(text)
    assert s.articles == [] or all(a.number > 0 for a in s.articles)


def test_windows_line_endings_and_bom():
    s = parse_material("\ufeff某条例\r\n第一章 总则\r\n第一条 甲。\r\n乙。\r\n第二条 丙。\r\n")
    assert [a.text for a in s.articles] == ["甲。\n乙。", "丙。"]


# --- fuzzing -----------------------------------------------------------------------------------

_FRAGMENTS = st.sampled_from([
    "第一条", "第十条之一", "第一百零五条", "第12条", "第九万九千条", "第999999999条", "第〇条", "第零条",
    "第一章", "第二编", "第一分编", "第三节", "附则", "附件一", "附件", "目录", "目　录", "注：", "[1]", "①",
    "一、", "（一）", "1.", "（1）", "十百、", "（十百）", "依照第十条的规定", "本法第二十条第一款", "之一", "之",
    " ", "　", "\t", "\n", "\r\n", "。", "；", "：", "总则", "某某", "规定", "的", "第", "条", "章",
])


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_never_raises_on_arbitrary_text(text):
    parse_material(text)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(_FRAGMENTS, st.text(max_size=5)), max_size=60).map("".join))
def test_never_raises_on_text_made_of_structure_words(text):
    s = parse_material(text)
    keys = [a.key for a in s.articles]
    assert keys == sorted(set(keys))
    for article in s.articles:
        assert article.label == article_label(article.number, article.suffix)
