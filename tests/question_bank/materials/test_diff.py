"""Comparing two editions: unchanged, renumbered, changed (incl. split, merge, moved and reworded),
removed and added articles, on small synthetic editions and on the four real pairs of laws."""
import random
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from question_bank.materials.diff import STATUSES, diff_editions, normalize_text
from question_bank.materials.numerals import article_label, to_chinese
from question_bank.materials.parse import parse_material

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "regulations"

# Distinct provisions to build small editions from.
A = "机关、单位应当实行保密工作责任制，健全保密管理制度，完善保密防护措施，开展保密宣传教育，加强保密检查。"
B = "国家秘密的密级分为绝密、机密、秘密三级。绝密级国家秘密是最重要的国家秘密，泄露会使国家安全和利益遭受特别严重的损害。"
C = "举办会议或者其他活动涉及国家秘密的，主办单位应当采取保密措施，并对参加人员进行保密教育，提出具体保密要求。"
D = "涉密人员离岗离职实行脱密期管理。涉密人员在脱密期内，应当按照规定履行保密义务，不得违反规定就业，不得以任何方式泄露国家秘密。"
E = "国家保密行政管理部门依照法律、行政法规的规定，制定保密规章和国家保密标准。"
F = "本法自二〇一〇年十月一日起施行。"
G = "县级以上人民政府应当将保密工作纳入本级国民经济和社会发展规划，所需经费列入本级预算。"
P1 = "在涉密岗位工作的人员，按照涉密程度分为核心涉密人员、重要涉密人员和一般涉密人员，实行分类管理。"
P2 = "任用、聘用涉密人员应当按照国家有关规定进行审查，涉密人员应当具有良好的政治素质和品行。"


def edition(*chapters: list[str]) -> str:
    """A small regulation: each argument is a chapter, a list of article texts, numbered on."""
    lines, n = ["某某保密条例"], 0
    for c, articles in enumerate(chapters, start=1):
        lines.append(f"第{to_chinese(c)}章 第{c}章标题")
        for text in articles:
            n += 1
            lines.append(f"{article_label(n)} {text}")
    return "\n\n".join(lines)


def diff(old: str, new: str):
    return diff_editions(parse_material(old), parse_material(new))


def check_invariants(d, old, new):
    counts = d.counts()
    assert set(counts) == set(STATUSES)
    assert sum(counts[s] for s in STATUSES if s != "added") == len(old.units)
    matched_new = [u.ref for c in d.changes if c.status != "added" for u in c.new]
    assert len(matched_new) == len(set(matched_new))
    assert len(matched_new) + counts["added"] == len(new.units)


def test_same_text_same_number_is_unchanged_even_with_other_punctuation_and_spacing():
    d = diff(edition([A, B, C]), edition([A, B.replace("，", ",").replace("。", "。 "), C]))
    assert d.counts() == {"unchanged": 3, "changed": 0, "added": 0, "removed": 0, "renumbered": 0}


def test_an_article_inserted_renumbers_the_ones_after_it():
    d = diff(edition([A, B, C]), edition([G, A, B, C]))
    assert d.counts() == {"unchanged": 0, "changed": 0, "added": 1, "removed": 0, "renumbered": 3}
    assert d.for_old(1).new_refs == ("第二条",)
    assert d.for_new(1).status == "added"
    assert d.follow("第一条") == ("第二条", False)


def test_reworded_in_place_is_changed():
    new_b = B.replace("三级", "三个等级").replace("特别严重", "极其严重")
    d = diff(edition([A, B, C]), edition([A, new_b, C]))
    assert d.counts() == {"unchanged": 2, "changed": 1, "added": 0, "removed": 0, "renumbered": 0}
    change = d.for_old(2)
    assert change.status == "changed" and change.new_refs == ("第二条",)
    assert 0.8 < change.similarity < 1
    assert d.follow(2) == ("第二条", True)


def test_removed_and_added():
    d = diff(edition([A, B, C, D]), edition([A, B, G, D]))
    assert d.counts() == {"unchanged": 3, "changed": 0, "added": 1, "removed": 1, "renumbered": 0}
    assert d.for_old(3).status == "removed"
    assert d.for_new(3).status == "added"
    assert d.follow(3) == (None, True)
    assert d.follow(99) == (None, True)


def test_moved_to_another_chapter_unchanged_is_renumbered():
    d = diff(edition([A, B, C], [D, E]), edition([A, C], [D, B, E]))
    change = d.for_old(2)
    assert change.status == "renumbered" and change.new_refs == ("第四条",)
    assert change.moved
    assert d.follow(2) == ("第四条", False)


def test_moved_and_reworded_is_changed():
    new_b = B.replace("三级", "三个等级")
    d = diff(edition([A, B, C], [D, E]), edition([A, C], [D, E, new_b]))
    change = d.for_old(2)
    assert change.status == "changed" and change.new_refs == ("第五条",)
    assert change.moved
    assert d.counts() == {"unchanged": 1, "changed": 1, "added": 0, "removed": 0, "renumbered": 3}


def test_split_in_two():
    d = diff(edition([A, P1 + "\n" + P2, C]), edition([A, P1, P2, C]))
    change = d.for_old(2)
    assert change.kind == "split" and change.status == "changed"
    assert change.new_refs == ("第二条", "第三条")
    assert d.counts() == {"unchanged": 1, "changed": 1, "added": 0, "removed": 0, "renumbered": 1}
    assert d.splits == [change]
    assert d.for_new(3) is change


def test_merged_into_one():
    d = diff(edition([A, P1, P2, C]), edition([A, P1 + "\n" + P2, C]))
    change = d.for_old(2)
    assert change.kind == "merge" and change.status == "changed"
    assert change.old_refs == ("第二条", "第三条")
    assert d.for_old(3) is change
    assert d.counts() == {"unchanged": 1, "changed": 2, "added": 0, "removed": 0, "renumbered": 1}
    assert d.merges == [change]


def test_a_new_article_beside_a_changed_one_is_not_a_split():
    # the changed article drops a sentence; the new neighbour shares only boilerplate with it
    old_b = B + "构成犯罪的，依法追究刑事责任。"
    d = diff(edition([A, old_b, C]), edition([A, B, "违反本条例规定，构成犯罪的，依法追究刑事责任。", C]))
    assert d.splits == []
    assert d.for_new(3).status == "added"


def test_side_by_side_rebuilds_both_texts():
    new_b = B.replace("三级", "三个等级").replace("最重要的", "")
    d = diff(edition([A, B]), edition([A, new_b]))
    change = d.for_old(2)
    segments = change.side_by_side()
    assert "".join(s.old for s in segments) == change.old_text == B
    assert "".join(s.new for s in segments) == change.new_text == new_b
    tags = {s.tag for s in segments}
    assert "equal" in tags and tags <= {"equal", "replace", "delete", "insert"}
    assert [s.old for s in segments if s.tag == "delete"] == ["最重要的"]
    assert all(op[0] in {"equal", "replace", "delete", "insert"} for op in change.opcodes())


def test_references_only():
    old = edition([A, "依照本条例第一条的规定执行。" + C])
    new = edition([G, A, "依照本条例第二条的规定执行。" + C])
    change = diff(old, new).for_old(2)
    assert change.status == "changed" and change.references_only


def test_policy_sections_are_compared_too():
    old = "意见\n一、总体要求\n（一）指导思想。" + A + "\n（二）工作目标。" + B + "\n二、主要任务\n" + C
    new = "意见\n一、总体要求\n（一）指导思想。" + A + "\n（二）基本原则。" + G + "\n（三）工作目标。" + B + "\n二、主要任务\n" + C
    d = diff(old, new)
    assert d.counts() == {"unchanged": 3, "changed": 0, "added": 1, "removed": 0, "renumbered": 1}
    assert d.for_old("一、（二）").new_refs == ("一、（三）",)
    assert d.for_new("一、（二）").status == "added"


def test_empty_editions():
    d = diff("", edition([A]))
    assert d.counts()["added"] == 1
    d = diff(edition([A]), "")
    assert d.counts()["removed"] == 1
    assert diff("", "").changes == []


# --- the real pairs ----------------------------------------------------------------------------


def load(name):
    return parse_material((FIXTURES / f"{name}.txt").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def real():
    pairs = {}
    for old, new in [("baomi-fa-2010", "baomi-fa-2024"), ("jiancha-fa-2018", "jiancha-fa-2024"),
                     ("lifa-fa-2015", "lifa-fa-2023"), ("xingfa-2020", "xingfa-2023")]:
        o, n = load(old), load(new)
        pairs[old.rsplit("-", 1)[0]] = (o, n, diff_editions(o, n))
    return pairs


# Counts checked by reading both editions side by side (see each test below for the hard cases).
REAL_COUNTS = {
    "baomi-fa": {"unchanged": 1, "renumbered": 15, "changed": 36, "removed": 1, "added": 11},
    "jiancha-fa": {"unchanged": 14, "renumbered": 40, "changed": 15, "removed": 0, "added": 7},
    "lifa-fa": {"unchanged": 2, "renumbered": 61, "changed": 42, "removed": 0, "added": 13},
    "xingfa": {"unchanged": 498, "renumbered": 0, "changed": 7, "removed": 0, "added": 0},
}


@pytest.mark.parametrize("law", sorted(REAL_COUNTS))
def test_real_pair_counts(real, law):
    old, new, d = real[law]
    check_invariants(d, old, new)
    assert d.counts() == REAL_COUNTS[law]


def test_baomi_2010_to_2024(real):
    _old, _new, d = real["baomi-fa"]
    # unchanged: 第二条 (the definition of a state secret) kept word for word and number
    assert d.for_old(2).status == "unchanged"
    # renumbered: 第五条 (保密行政管理部门主管) is 第六条 now, word for word; 第九条 → 第十三条 differs
    # only in a colon (: → ：)
    assert d.follow(5) == ("第六条", False)
    assert d.follow(9) == ("第十三条", False)
    # changed and moved within 第一章: 第三条 → 第五条 (义务 of 一切国家机关… reworded)
    assert d.follow(3) == ("第五条", True)
    # changed, hardly recognisable but in place: 第八条 (奖励) → 第十二条 (表彰和奖励), 0.36
    change = d.for_old(8)
    assert change.new_refs == ("第十二条",) and change.similarity < 0.4
    # split: 第十三条's sentence on 执行上级确定的国家秘密事项 became 第十八条 (派生定密)
    assert d.for_old(13).new_refs == ("第十七条", "第十八条")
    assert d.for_old(34).new_refs == ("第四十一条", "第四十二条")
    # removed: 第三十六条 (涉密人员上岗 training), only partly absorbed into 第四十三条
    assert d.for_old(36).status == "removed"
    # added: 党的领导 (第三条), 宣传教育 (第九条), 科技 (第十条), 经费 (第十一条), 数据 (第三十六条),
    # 工作秘密 (第六十四条) and the general criminal-liability article 第六十二条
    added = {c.new_refs[0] for c in d.by_status("added")}
    assert added == {"第三条", "第九条", "第十条", "第十一条", "第三十二条", "第三十六条", "第五十五条",
                     "第五十六条", "第六十条", "第六十二条", "第六十四条"}


def test_jiancha_2018_to_2024(real):
    _old, _new, d = real["jiancha-fa"]
    assert d.for_old(2).status == "unchanged"
    # the new measures (强制到案 第二十一条, 责令候查 第二十三条, 管护 第二十五条) push 留置 to 第二十四条
    assert d.follow(22) == ("第二十四条", False)
    assert d.follow(12) == ("第十二条", True)  # 派驻 extended to 政协机关, 再派出
    # 第四十三条's three paragraphs went to 第四十七条, 第四十八条 (留置时间, extended) and 第四十九条
    change = d.for_old(43)
    assert change.kind == "split"
    assert change.new_refs == ("第四十七条", "第四十八条", "第四十九条")
    added = {c.new_refs[0] for c in d.by_status("added")}
    assert added == {"第二十一条", "第二十三条", "第二十五条", "第四十六条", "第五十一条", "第六十二条", "第六十四条"}


def test_lifa_2015_to_2023(real):
    _old, _new, d = real["lifa-fa"]
    # 第十三条 (NPC may suspend laws) stayed in 第二章 as 第十六条; the look-alike 第七十九条 (the
    # State Council may suspend its regulations) is new, though it is more similar in words
    assert d.for_old(13).new_refs == ("第十六条",)
    assert d.for_new(79).status == "added"
    # a paragraph of 第七十二条 became 第八十一条; 第九十九条's 主动审查 paragraph became 第一百一十一条
    assert d.for_old(72).new_refs == ("第八十条", "第八十一条")
    assert d.for_old(99).new_refs == ("第一百一十条", "第一百一十一条")
    # only the numbers in its cross-reference changed (本法第八条 → 本法第十一条): still changed
    change = d.for_old(9)
    assert change.status == "changed" and change.references_only and change.new_refs == ("第十二条",)
    refs_only = sorted(c.old_refs[0] for c in d.changes if c.references_only)
    assert refs_only == ["第一百零四条", "第七十三条", "第九十七条", "第九十六条", "第九条"]
    assert d.follow(4) == ("第五条", True)
    assert d.for_new(118).status == "added"  # 监察法规, new in 2023


def test_xingfa_2020_to_2023(real):
    _old, _new, d = real["xingfa"]
    changed = sorted(c.old[0].number for c in d.by_status("changed"))
    # 刑法修正案（十二）: exactly these seven articles (SOURCES.md)
    assert changed == [165, 166, 169, 387, 390, 391, 393]
    # 第三百九十条 doubled in length (a list of 从重处罚 cases) and is still the same article
    assert d.for_old(390).new_refs == ("第三百九十条",)
    # the compiler's footnote after 第四百五十二条 changes nothing
    assert d.for_old(452).status == "unchanged"
    assert d.for_old(120, 1).status == "unchanged"


def test_renumbered_pairs_have_equal_texts_and_changed_pairs_do_not(real):
    for _old, _new, d in real.values():
        for change in d.changes:
            if change.status in ("unchanged", "renumbered"):
                assert normalize_text(change.old_text) == normalize_text(change.new_text)
            elif change.status == "changed":
                assert normalize_text(change.old_text) != normalize_text(change.new_text)


def test_scales_to_hundreds_of_articles_all_reworded():
    rng = random.Random(7)
    texts = [a.text for a in load("xingfa-2020").articles]

    def reword(text):
        at = rng.randrange(max(1, len(text) - 6))
        return text[:at] + "（修改）" + text[at + 3:]

    def as_text(items):
        return "\n".join(f"{article_label(i + 1)} {t}" for i, t in enumerate(items))

    new = [reword(t) for t in texts] + [reword(t) for t in texts[:100]]
    rng.shuffle(new)
    old_s, new_s = parse_material(as_text(texts + texts[:100])), parse_material(as_text(new))
    assert len(old_s.articles) == len(new_s.articles) == 605
    started = time.perf_counter()
    d = diff_editions(old_s, new_s)
    elapsed = time.perf_counter() - started
    assert elapsed < 10, elapsed
    check_invariants(d, old_s, new_s)
    assert d.counts()["changed"] >= 590


_PROVISIONS = st.sampled_from([A, B, C, D, E, F, G, P1, P2, P1 + "\n" + P2, B.replace("三级", "三个等级"), "甲。", ""])


@settings(max_examples=200, deadline=None)
@given(st.lists(_PROVISIONS, max_size=12), st.lists(_PROVISIONS, max_size=12))
def test_any_two_editions_keep_the_invariants(old_texts, new_texts):
    old, new = parse_material(edition(old_texts)), parse_material(edition(new_texts))
    d = diff_editions(old, new)
    check_invariants(d, old, new)
    for change in d.changes:
        if change.status in ("changed", "unchanged", "renumbered"):
            assert change.new
            assert "".join(s.old for s in change.side_by_side()) == change.old_text


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300), st.text(max_size=300))
def test_never_raises_on_arbitrary_texts(old_text, new_text):
    diff_editions(parse_material(old_text), parse_material(new_text))
