"""Draft questions (题目草稿) from an article's text: candidates for an organizer to review, never
questions by themselves (``services.generate_drafts`` puts them in a review queue).

``generate(text, title=...)`` reads the article sentence by sentence and proposes:

- fill-in-the-blank (填空) on a **number**, **period** or **quantity** (``三个月内``, ``每月至少一次``,
  ``百分之二十``, ``60分``, ``三分之二``), found by pattern: a numeral (Chinese or Arabic) with the
  word it counts. Ordinals and references (``第十条``, ``之一``), dates (``2023年3月1日``), names in
  quotes or 《》 (“三个代表”) and a bare
  ``一`` that is only an article (``一种``, ``一个``) are left alone, unless a word such as 至少,
  不少于, 每 says the number matters;
- fill-in-the-blank on a **key term**: one of our own list of organization-work terms
  (``TERMS``: 民主集中制, 三会一课, 理论学习中心组 ...) or a four-character set phrase that jieba's
  part-of-speech tagging marks as an idiom (``l``/``i``) standing on its own (坚持学用结合、知行合一;
  not 理论联系实际's tail), at most one per sentence; never a term of the material's title or one
  found all over the material (``frequent_terms``: 国家秘密 in the 保密法);
- true/false (判断) made false by changing **one number** (三个月 → 四个月, 百分之二十 → 百分之三十)
  or, failing that, swapping **one term** for another of its group (``TERM_GROUPS``: 党员大会 ↔
  支部委员会 ...). The answer is 错 and the explanation quotes the original sentence. A changed number
  that the article uses elsewhere is not taken (the statement could be true of another case).

Every draft's explanation is the original sentence (``原文：…``). The stem says where it comes from:
a sentence opening with 本办法/本条例/本法 names the material instead, any other is prefixed with
``根据《title》，``.

jieba is initialised once, quietly (its default dictionary ships inside the package; no network,
no model download), with ``TERMS`` added so that they are never cut in two.
"""
from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from typing import Any

from question_bank.answers import BLANK_PATTERN
from question_bank.materials.numerals import parse_number, to_chinese

__all__ = ["GeneratedQuestion", "TERMS", "TERM_GROUPS", "frequent_terms", "generate", "sentences"]

MAX_PER_ARTICLE = 6
MIN_SENTENCE = 10
MAX_SENTENCE = 160
BLANK = "（ ）"

# Terms of organization work worth asking for: our own list, written for this platform.
TERMS = (
    "民主集中制", "三会一课", "主题党日", "组织生活会", "民主生活会", "民主评议党员", "谈心谈话", "批评和自我批评",
    "理论学习中心组", "党支部", "党小组", "党员大会", "支部委员会", "党小组会", "党课", "预备党员", "入党积极分子",
    "发展对象", "入党介绍人", "党组织关系", "党费", "党委", "党组", "纪律检查委员会", "部务会", "办公室",
    "干部处", "学习档案", "学习计划", "岗前培训", "集中培训", "集中学习", "个人自学", "专题辅导", "研讨交流",
    "现场教学", "网络培训", "学历教育", "在职进修", "年度考核", "日常考核", "年度预算", "谈话提醒", "诫勉谈话",
    "组织处理", "批评教育", "限期整改", "选拔任用", "评先评优", "德才兼备", "以德为先", "五湖四海", "任人唯贤",
    "党管干部", "党管人才", "政治素质", "履职能力", "问题导向", "党性教育", "理论教育", "试用期", "任职试用期",
    "任期制", "交流轮岗", "回避制度", "个人有关事项", "保密责任", "脱密期", "涉密人员", "国家秘密", "工作秘密",
)
# Terms that can stand in for each other in a false statement.
TERM_GROUPS = (
    ("党员大会", "支部委员会", "党小组会"),
    ("入党积极分子", "发展对象", "预备党员"),
    ("组织生活会", "民主生活会"),
    ("年度考核", "日常考核"),
    ("集中学习", "个人自学"),
    ("批评教育", "组织处理"),
    ("谈话提醒", "诫勉谈话"),
    ("党性教育", "理论教育"),
    ("学历教育", "在职进修"),
    ("部务会", "办公室"),
    ("党委", "党组"),
    ("绝密", "机密", "秘密"),
)
# Set phrases jieba tags as idioms that make poor blanks (any answer would do, or none is right).
_WEAK_PHRASES = {"每季度", "每半年", "相结合", "正当理由", "重要依据", "心得体会", "挪作他用", "进行批评", "有关规定"}

_ZH = "零〇一二两三四五六七八九十百千万"
_NUM = rf"(?:[0-9]+(?:\.[0-9]+)?|[{_ZH}]+|半)"
_PERIOD_UNITS = ("个工作日", "工作日", "个月", "学时", "小时", "分钟", "季度", "年", "月", "日", "天", "周")
_QUANTITY_UNITS = ("个等次", "等次", "周岁", "万元", "个", "名", "人", "次", "项", "条", "级", "类", "种", "批", "倍",
                   "届", "分", "票", "岁", "元", "轮", "期")
_UNIT_RE = "|".join(re.escape(u) for u in sorted(_PERIOD_UNITS + _QUANTITY_UNITS, key=len, reverse=True))
_NUMBER_RE = re.compile(
    rf"百分之[{_ZH}]+|[{_ZH}]+分之[{_ZH}]+|[0-9]+(?:\.[0-9]+)?\s*[%％]|(?P<num>{_NUM})(?P<unit>{_UNIT_RE})"
)
_DATE_RE = re.compile(rf"[0-9{_ZH}]{{4}}年(?:[0-9{_ZH}]{{1,2}}月)?(?:[0-9{_ZH}]{{1,3}}日)?|[0-9{_ZH}]{{1,2}}月[0-9{_ZH}]{{1,3}}日")
_CUES = ("至少", "不少于", "不超过", "不得超过", "不低于", "最多", "最少", "累计", "每", "满", "超过", "达到", "一般")
_SELF_RE = re.compile(r"^本(?:办法|条例|法|规定|细则|准则|规则|意见|决定)")
_ITEM_RE = re.compile(r"^(?:[（(][一二三四五六七八九十0-9]+[）)]|[一二三四五六七八九十]+、|[0-9]+[.．、])\s*")
_SPLIT_RE = re.compile(r"(?<=[。；！？!?;])")
_REFERENCE_RE = re.compile(r"第[0-9" + _ZH + r"]+[条款项章节编]")
_PURPOSE_RE = re.compile(r"制定本(?:办法|条例|法|规定|细则|准则|规则)。$")  # 第一条's purpose clause
_PHRASE_BEFORE = ("、", "，", "：", "“", "坚持", "做到", "实行", "实现", "注重", "推动")
_PHRASE_AFTER = ("、", "，", "。", "；", "”", "的")


@dataclass(frozen=True)
class GeneratedQuestion:
    type: str  # "fill_blank" or "true_false"
    kind: str  # number, period, quantity, term (fill_blank); tf_number, tf_term (true_false)
    stem: str
    answer: Any  # [[answer, alternatives...]] for fill_blank, False for true_false
    explanation: str  # 原文：the sentence
    sentence: str
    target: str  # what was blanked or changed


# --- jieba, once and quietly ------------------------------------------------------------------

_jieba_lock = threading.Lock()
_posseg = None


def _tagger():
    global _posseg
    if _posseg is None:
        with _jieba_lock:
            if _posseg is None:
                import jieba
                import jieba.posseg as posseg

                jieba.setLogLevel(logging.WARNING)
                logging.getLogger("jieba").setLevel(logging.WARNING)
                for term in TERMS:
                    jieba.add_word(term, freq=2000, tag="nz")
                jieba.initialize()
                _posseg = posseg
    return _posseg


# --- sentences --------------------------------------------------------------------------------

def sentences(text: str) -> list[str]:
    """The article's sentences worth asking about: split at 。；！？ and line ends, a trailing ；
    made 。; the items of a list (（一）…, 1. …, fragments without their lead-in), the lead-in
    itself (ending in ：) and very short or very long sentences left out."""
    out = []
    for paragraph in (text or "").split("\n"):
        paragraph = paragraph.strip()
        if _ITEM_RE.match(paragraph):
            continue  # an item of a list: a fragment without the sentence that introduces it
        for piece in _SPLIT_RE.split(paragraph):
            s = piece.strip()
            if not s or s.endswith(("：", ":")):
                continue
            if s[-1] in "；;":
                s = s[:-1] + "。"
            elif s[-1] not in "。！？!?":
                s += "。"
            if MIN_SENTENCE <= len(s) <= MAX_SENTENCE and not BLANK_PATTERN.search(s):  # a blank of its own: （ ）, ___
                out.append(s)
    return out


def _stem(sentence: str, title: str) -> str:
    if title and _SELF_RE.match(sentence):
        return _SELF_RE.sub(f"《{title}》", sentence, count=1)
    return f"根据《{title}》，{sentence}" if title else sentence


# --- numbers ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Number:
    start: int
    end: int
    text: str
    kind: str  # number, period, quantity
    value: float | None  # the number (percent and fraction: their value), None if unreadable


def _value(raw: str) -> float | None:
    raw = raw.strip()
    if raw == "半":
        return 0.5
    try:
        return float(raw) if re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", raw) else float(parse_number(raw))
    except ValueError:
        return None


def _numbers(sentence: str) -> list[_Number]:
    dates = [m.span() for m in _DATE_RE.finditer(sentence)]
    refs = [m.span() for m in _REFERENCE_RE.finditer(sentence)]
    refs += [m.span() for m in re.finditer(r"“[^”]*”|《[^》]*》", sentence)]  # names: “三个代表”, “三会一课”
    found = []
    for m in _NUMBER_RE.finditer(sentence):
        start, end = m.span()
        if any(a <= start < b or a < end <= b for a, b in dates + refs):
            continue
        before = sentence[max(0, start - 1):start]
        if before in ("第", "之") or (before and before in _ZH):
            continue
        text = m.group(0)
        if m["num"] is None:  # percent or fraction
            if text.startswith("百分之"):
                value = _value(text[3:])
            elif "分之" in text:
                value = None
            else:
                value = _value(text.rstrip("%％ "))
            found.append(_Number(start, end, text, "quantity", value))
            continue
        num, unit = m["num"], m["unit"]
        value = _value(num)
        if value is None:
            continue
        if value == 1 and unit not in ("次", "年", "个月", "月", "季度", "天", "周", "小时"):
            context = sentence[max(0, start - 6):start]
            if not any(cue in context for cue in _CUES):
                continue  # 一种, 一个, 一项: an article, not a number
        kind = "period" if unit in _PERIOD_UNITS else "quantity"
        found.append(_Number(start, end, text, kind, value))
    return found


def _arabic(text: str) -> str | None:
    """The same number written in Arabic digits (三个月 → 3个月, 百分之二十 → 20%), if it differs."""
    m = re.fullmatch(rf"百分之([{_ZH}]+)", text)
    if m:
        v = _value(m[1])
        return f"{int(v)}%" if v is not None and v == int(v) else None
    m = re.fullmatch(rf"([{_ZH}]+)分之([{_ZH}]+)", text)
    if m:
        a, b = _value(m[1]), _value(m[2])
        return f"{int(b)}/{int(a)}" if a and b else None
    m = re.fullmatch(rf"([{_ZH}]+)(.*)", text)
    if m and m[1] != "半":
        v = _value(m[1])
        return f"{int(v)}{m[2]}" if v is not None else None
    m = re.fullmatch(r"([0-9]+)(.*)", text)
    if m and m[2] and not m[2].startswith(("%", "％")):
        return f"{to_chinese(int(m[1]))}{m[2]}" if int(m[1]) < 100_000_000 else None
    return None


def _other_value(v: float) -> float:
    """A plausible wrong number: small counts move by one, round numbers by ten, others double or halve."""
    if v == 0.5:
        return 1
    if v < 1:
        return v * 2
    if v == 1:
        return 2
    if v <= 5:
        return v + 1
    if v < 10:
        return v - 2
    if v % 10 == 0 and v < 100:
        return v + 10
    if v % 10 == 0:
        return v + 50
    return v * 2


def _changed_number(number: _Number) -> str | None:
    """``number.text`` with its number changed, written the same way (Chinese or Arabic)."""
    text = number.text
    if number.value is None:
        m = re.fullmatch(rf"([{_ZH}]+)分之([{_ZH}]+)", text)
        if m:  # 三分之二 → 二分之一, any other fraction → 三分之二
            return "二分之一" if text != "二分之一" else "三分之二"
        return None
    new = _other_value(number.value)
    if new == int(new):
        new = int(new)
    if text.startswith("百分之"):
        return f"百分之{to_chinese(int(new))}" if new == int(new) and new <= 100 else None
    m = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)(.*)", text)
    if m:
        return f"{new}{m[2]}"
    m = re.fullmatch(rf"([{_ZH}]+|半)(.*)", text)
    if m:
        if new != int(new):
            return None
        word = to_chinese(int(new))
        if word == "二" and m[2][:1] in "个次名人项条种批倍届年天周月":
            word = "两"
        return f"{word}{m[2]}"
    return None


# --- terms ------------------------------------------------------------------------------------

def frequent_terms(texts: list[str], *, share: float = 0.25, minimum: int = 4) -> set[str]:
    """``TERMS`` found in more than ``share`` of the texts (and at least ``minimum`` of them): the
    subject of the whole material (国家秘密 in the 保密法), too common to be worth a blank."""
    counts = {term: sum(1 for t in texts if term in t) for term in TERMS}
    return {term for term, n in counts.items() if n >= minimum and n > share * len(texts)}


def _terms(sentence: str) -> list[tuple[int, int, str]]:
    """Key terms of the sentence at jieba token boundaries, our list first: (start, end, term)."""
    tokens = []
    pos = 0
    for pair in _tagger().cut(sentence):
        tokens.append((pos, pos + len(pair.word), pair.word, pair.flag))
        pos += len(pair.word)
    starts = {t[0] for t in tokens}
    ends = {t[1] for t in tokens}
    found: list[tuple[int, int, str]] = []
    for term in sorted(TERMS, key=len, reverse=True):
        start = sentence.find(term)
        if start == -1 or start not in starts or start + len(term) not in ends:
            continue
        if any(a < start + len(term) and start < b for a, b, _t in found):
            continue
        found.append((start, start + len(term), term))
    known = [f for f in found]
    for start, end, word, flag in tokens:
        if flag in ("l", "i") and len(word) == 4 and word not in _WEAK_PHRASES and word not in TERMS:
            # a set phrase standing on its own (坚持学用结合、知行合一), not the tail of a longer one (理论联系实际)
            alone = sentence[:start].endswith(_PHRASE_BEFORE) and sentence[end:].startswith(_PHRASE_AFTER)
            if alone and not any(a < end and start < b for a, b, _t in known):
                found.append((start, end, word))
    return found


def _swap(term: str, sentence: str, start: int) -> str | None:
    before = sentence[start - 1:start]
    for group in TERM_GROUPS:
        if term in group:
            for other in group:
                # not one already in the sentence, nor one that would stutter (部办公室 → 部部务会)
                if other != term and other not in sentence and not other.startswith(before or "\0"):
                    return other
    return None


# --- generating -------------------------------------------------------------------------------

def generate(text: str, *, title: str = "", limit: int = MAX_PER_ARTICLE, common: set[str] | frozenset[str] = frozenset()
             ) -> list[GeneratedQuestion]:
    """Candidate questions from one article's text, at most ``limit``, fill-in-the-blank first.

    ``common`` are terms never blanked (``frequent_terms`` of the material's articles); neither is
    a term that is part of the material's title (国家秘密 in 保守国家秘密法)."""
    fills: list[GeneratedQuestion] = []
    falses: list[GeneratedQuestion] = []
    for sentence in sentences(text):
        if _PURPOSE_RE.search(sentence):
            continue
        explanation = f"原文：{sentence}"
        numbers = _numbers(sentence)
        for number in numbers[:2]:
            blanked = sentence[: number.start] + BLANK + sentence[number.end:]
            answer = [number.text] + ([alt] if (alt := _arabic(number.text)) else [])
            fills.append(GeneratedQuestion("fill_blank", number.kind, _stem(blanked, title), [answer], explanation, sentence, number.text))
        terms = [t for t in _terms(sentence)
                 if sentence.count(t[2]) == 1 and t[2] not in common and t[2] not in (title or "")]
        if terms:
            start, end, term = terms[0]
            blanked = sentence[:start] + BLANK + sentence[end:]
            fills.append(GeneratedQuestion("fill_blank", "term", _stem(blanked, title), [[term]], explanation, sentence, term))
        changed = None
        for number in numbers:
            other = _changed_number(number)
            if other and sentence[number.start - 1:number.start] == "每" and other.startswith("一"):
                other = other[1:]  # 每半年 → 每年, not 每一年
            if other and any(v in text for v in (other, _arabic(other)) if v):
                continue  # the article itself has that number elsewhere: the statement might be true there
            if other and other != number.text:
                changed = ("tf_number", sentence[: number.start] + other + sentence[number.end:], number.text)
                break
        if changed is None:
            for start, end, term in terms:
                other = _swap(term, sentence, start)
                if other:
                    changed = ("tf_term", sentence[:start] + other + sentence[end:], term)
                    break
        if changed is not None:
            kind, statement, target = changed
            falses.append(GeneratedQuestion("true_false", kind, _stem(statement, title), False, explanation, sentence, target))
    out: list[GeneratedQuestion] = []
    seen: set[str] = set()
    # interleave so a long article does not give only blanks: two fills, then a true/false, ...
    while (fills or falses) and len(out) < limit:
        for pool, take in ((fills, 2), (falses, 1)):
            for _ in range(take):
                if pool and len(out) < limit:
                    q = pool.pop(0)
                    if q.stem not in seen:
                        seen.add(q.stem)
                        out.append(q)
    return out
