"""Read a question's 出处 (``《中华人民共和国保密法》第十二条``) and find the material it names.

``parse_citation`` accepts a title in 《》 or bare before 第 (``保密法第12条``), an optional edition
note in brackets after the title (``《立法法》（2023年修正）第十条``), the article in Chinese or Arabic
numerals with an optional 之Y, and optionally 第N款 (paragraph) and 第（N）项 (item). Only the
first article cited is read; text that cites no article gives ``None``.

``match_title(cited, known_titles)`` decides which known title a citation means. Both sides are
normalised first: 《》, brackets holding an edition note (``（2024年修订）``), whitespace and the
prefixes 中华人民共和国 / 中国共产党 / 中共 are dropped. Then, first rule that gives exactly one
title wins:

1. equal after normalising (《中华人民共和国监察法》 and 《监察法》);
2. the cited title is a bare kind word (条例, 法, 规定, 办法, 意见, 准则, 规则, 细则, 决定, 通知,
   纲要) and exactly one known title ends with it: ``《条例》`` when one 条例 is loaded;
3. the cited title is an abbreviation: its characters appear in order in the known title, which
   ends with the same last character (``保密法`` in ``保守国家秘密法``, ``组织工作条例`` in
   ``中国共产党组织工作条例``); among several, the highest rapidfuzz score if it leads by ≥ 10;
4. rapidfuzz ``WRatio`` ≥ 85 on the normalised titles that end with the same character, leading
   the runner-up by ≥ 10 (typos and one-character variants: ``保守国家秘秘法``). The same ending
   keeps a law apart from its own implementing rules: ``监察法`` never resolves to
   ``监察法实施条例``.

Otherwise ``None``: the importer lists the 出处 as unresolved rather than guessing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from rapidfuzz import fuzz, process

from question_bank.materials.numerals import NUMERAL_CHARS, article_label, parse_number

__all__ = ["Citation", "match_title", "normalize_title", "parse_citation"]

_N = f"[{NUMERAL_CHARS}]+"
_CITATION_RE = re.compile(
    rf"(?:《(?P<quoted>[^《》]+)》|(?P<bare>[^《》第\s，。；,;、]*?))\s*"
    rf"(?:[（(][^（）()]{{0,20}}[）)])?\s*"
    rf"第\s*(?P<num>{_N})\s*条(?:之(?P<suf>{_N}))?"
    rf"(?:\s*第\s*(?P<para>{_N})\s*款)?"
    rf"(?:\s*第\s*[（(]?\s*(?P<item>{_N})\s*[）)]?\s*项)?"
)
_LEAD_RE = re.compile(r"^(?:出处|来源|依据|参见|根据|见)[：:]?")
_PREFIXES = ("中华人民共和国", "中国共产党", "中共")
_KIND_WORDS = ("条例", "法", "规定", "办法", "意见", "准则", "规则", "细则", "决定", "通知", "纲要")
_EDITION_RE = re.compile(r"[（(][^（）()]*(?:\d|修订|修正|试行)[^（）()]*[）)]")
FUZZY_MIN_SCORE = 85
MIN_LEAD = 10


@dataclass(frozen=True)
class Citation:
    title: str | None  # as written, without 《》; None when the 出处 names no title
    article: int
    suffix: int = 0  # Y in 第X条之Y
    paragraph: int | None = None  # 第N款
    item: int | None = None  # 第（N）项

    @property
    def label(self) -> str:
        return article_label(self.article, self.suffix)


def parse_citation(text: str) -> Citation | None:
    """``《条例》第十二条第二款`` → Citation("条例", 12, 0, 2). ``None`` if no article is cited."""
    if not text:
        return None
    for m in _CITATION_RE.finditer(text):
        try:
            number = parse_number(m["num"])
            suffix = parse_number(m["suf"]) if m["suf"] else 0
            paragraph = parse_number(m["para"]) if m["para"] else None
            item = parse_number(m["item"]) if m["item"] else None
        except ValueError:
            continue
        if number <= 0:
            continue
        title = (m["quoted"] or _LEAD_RE.sub("", m["bare"] or "")).strip() or None
        return Citation(title=title, article=number, suffix=suffix, paragraph=paragraph, item=item)
    return None


def normalize_title(title: str) -> str:
    """``《中华人民共和国保守国家秘密法（2024年修订）》`` → ``保守国家秘密法``."""
    title = re.sub(r"[《》〈〉<>\s\u3000]", "", title or "")
    title = _EDITION_RE.sub("", title)
    for prefix in _PREFIXES:
        if title.startswith(prefix) and len(title) > len(prefix):
            title = title[len(prefix):]
            break
    return title


def _is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def _unique_best(cited: str, candidates: list[tuple[str, str]], *, minimum: float) -> str | None:
    """The candidate (original, normalised) that scores best, if it is good enough and clearly first."""
    if not candidates:
        return None
    scored = sorted(
        ((fuzz.WRatio(cited, norm), original) for original, norm in candidates), reverse=True
    )
    best_score, best = scored[0]
    if best_score < minimum:
        return None
    if len(scored) > 1 and best_score - scored[1][0] < MIN_LEAD:
        return None
    return best


def match_title(cited_title: str | None, known_titles: Iterable[str]) -> str | None:
    """The known title ``cited_title`` means, or ``None`` when none fits or it is ambiguous."""
    known = list(dict.fromkeys(known_titles))
    if not cited_title or not known:
        return None
    cited = normalize_title(cited_title)
    if not cited:
        return None
    normalised = [(title, normalize_title(title)) for title in known]

    exact = [t for t, n in normalised if n == cited]
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        verbatim = [t for t in exact if t == cited_title]
        return verbatim[0] if len(verbatim) == 1 else None

    if cited in _KIND_WORDS:
        ending = [t for t, n in normalised if n.endswith(cited)]
        return ending[0] if len(ending) == 1 else None

    abbreviations = [(t, n) for t, n in normalised if n[-1:] == cited[-1:] and _is_subsequence(cited, n)]
    if len(abbreviations) == 1:
        return abbreviations[0][0]
    if abbreviations:
        return _unique_best(cited, abbreviations, minimum=0)

    same_kind = [(t, n) for t, n in normalised if n[-1:] == cited[-1:]]
    return _unique_best(cited, same_kind, minimum=FUZZY_MIN_SCORE)


def extract_best(cited_title: str, known_titles: Iterable[str]) -> tuple[str, float] | None:
    """The raw rapidfuzz best match, for showing a suggestion next to an unresolved 出处."""
    known = list(known_titles)
    if not known:
        return None
    found = process.extractOne(normalize_title(cited_title), [normalize_title(t) for t in known],
                               scorer=fuzz.WRatio)
    if found is None:
        return None
    _choice, score, index = found
    return known[index], score
