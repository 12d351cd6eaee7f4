"""Compare two editions of a material: which articles are unchanged, renumbered, changed, removed or added.

``diff_editions(old, new)`` works on the citable units of each structure (articles, or the
numbered sections of a policy text) and decides, for every old unit, what became of it.

Comparing texts
    Texts are compared after ``normalize_text``: NFKC (full-width letters and digits become
    ASCII), then every whitespace character, every punctuation mark (Unicode category P*, so
    ，。；：、“”（）《》 and their ASCII twins), ``<>`` and circled footnote numbers ①-⑳ are dropped.
    ``similarity`` is rapidfuzz's ``fuzz.ratio`` (normalised Indel similarity, 0..1) of the two
    normalised texts. ``containment`` is the longest common subsequence over the shorter text's
    length: 1.0 when one text is the other with words added.

Matching, in this order (each unit is matched at most once, except in splits and merges)
    1. Same normalised text: paired (the same number first, then in order). These pairs are the
       anchors of the rest.
    2. Rewordings, one greedy pass, best first. A pair is a candidate when its similarity is at
       least ``MATCH_THRESHOLD`` (0.5), or at least ``IN_PLACE_THRESHOLD`` (0.35) when the new unit
       is *in place*: between the new partners of the old unit's nearest anchors on the backbone
       (the longest run of pairs whose order agrees in both editions, so one moved article does
       not shut its neighbours' window). Candidates are taken by similarity
       + ``IN_PLACE_BONUS`` (0.25) if in place + ``SAME_NUMBER_BONUS`` (0.05) if the number is
       kept. Scores come from ``rapidfuzz.process.extract`` (its C++ loop; ``cdist`` would need
       numpy, which is not a dependency).
    3. In place again, until nothing changes: with the new pairs as anchors, a free old unit and
       a free new unit in its window (or right next to where its old neighbour went) are paired at
       ``IN_PLACE_THRESHOLD``, or when the shorter text is ``CONTAINMENT_THRESHOLD`` (0.8)
       contained in the longer and they are ``EXPANSION_FLOOR`` (0.3) similar (an article that
       kept its words and gained a long paragraph).
    4. Splits and merges, sentence by sentence. The sentences (cut at 。；！？ and line ends) of
       an old unit that its partner did not carry over (no partner sentence ``CARRIED_SENTENCE``
       0.8 similar) are its *residual*. A free new unit right next to the partner (and the next
       one, and so on) joins the split if one of its sentences is one of the residual ones:
       ``MOVED_SENTENCE`` (0.7) similar, or the old sentence is ``MOVED_SENTENCE_KEPT`` (0.75) found
       in the new one (kept and extended). Only
       sentences of at least ``MIN_SENTENCE_CHARS`` (16) count: boilerplate such as
       构成犯罪的，依法追究刑事责任 is everywhere. Merges are the same with old and new exchanged.

Statuses (one per old unit; ``added`` for new units nobody matched)
    unchanged   same number, same normalised text (it may have moved to another chapter: ``moved``)
    renumbered  same normalised text, another number: a question citing it follows it silently
    changed     paired in 2-4 with a different normalised text, whatever its number (moved and
                reworded is changed), or part of a split or merge (each old unit counts once).
                ``references_only`` tells when the only difference is the numbers in its
                cross-references (立法法 第九条 2015 → 第十二条 2023: 本法第八条 → 本法第十一条).
    removed     not paired
    added       a new unit not paired

Why these numbers (measured on the four real pairs of editions in tests/fixtures/regulations;
tests/question_bank/materials/test_diff.py holds the hand-checked results):
- Reworded articles that stayed where they were score as low as 0.36 (保密法 2010 第八条 →
  2024 第十二条, 第四十五条 → 第五十二条), 0.38 (立法法 第三条 → 第三条) and 0.39 (保密法 第五十二条 →
  第六十三条), while a really new article can score 0.77 against an old one it resembles
  (立法法 2023 第七十九条, the State Council's power to suspend its regulations, against 2015
  第十三条, the NPC's). No single bar separates these, so position decides: 0.35 in place,
  0.5 elsewhere, and the in-place bonus of 0.25 lets 第十三条 → 第十六条 (0.55, in place) beat
  第七十九条 (0.77, elsewhere).
- The results do not move for an in-place bar anywhere from 0.25 to 0.35 (at 0.4 four true
  rewordings become removed + added), for a general bar from 0.3 to 0.9, or for an in-place bonus
  from 0.25 to 0.5 (below 0.25 第十三条 goes to 第七十九条).
- Split sentences found in the fixtures reach 0.76-1.0 (ratio) or 0.79-1.0 (kept); neighbours
  that are not splits stay at ≤ 0.57 and ≤ 0.62.
"""
from __future__ import annotations

import bisect
import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Sequence

from rapidfuzz import fuzz, process
from rapidfuzz.distance import LCSseq

from question_bank.materials.numerals import NUMERAL_CHARS
from question_bank.materials.parse import Article, MaterialStructure, PolicySection

__all__ = [
    "ArticleChange",
    "EditionDiff",
    "Segment",
    "STATUSES",
    "containment",
    "diff_editions",
    "normalize_text",
    "similarity",
]

STATUSES = ("unchanged", "renumbered", "changed", "removed", "added")
MATCH_THRESHOLD = 0.5
IN_PLACE_BONUS = 0.25
SAME_NUMBER_BONUS = 0.05
IN_PLACE_THRESHOLD = 0.35
CONTAINMENT_THRESHOLD = 0.8
EXPANSION_FLOOR = 0.3
MIN_PART_CHARS = 8  # texts shorter than this (normalised) are not paired by containment
CARRIED_SENTENCE = 0.8  # a sentence this similar to one of the partner's was carried over
MOVED_SENTENCE = 0.7  # a neighbour's sentence this similar to a dropped one is where it went
MOVED_SENTENCE_KEPT = 0.75  # ... or holding this much of the dropped sentence (it grew)
MIN_SENTENCE_CHARS = 16  # shorter ones are boilerplate: 构成犯罪的，依法追究刑事责任

Unit = Article | PolicySection

_XREF_RE = re.compile(rf"第[{NUMERAL_CHARS}]+(?=[条款项章节编])|(?<=条)之[{NUMERAL_CHARS}]+")
_SENTENCE_RE = re.compile(r"[。；;！？!?\n]")
_DROP_RE = re.compile(r"[\s<>\u2460-\u2473]+")


def normalize_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    text = _DROP_RE.sub("", text)
    return "".join(ch for ch in text if not unicodedata.category(ch).startswith("P"))


def similarity(a: str, b: str) -> float:
    """rapidfuzz ratio of two already normalised texts, 0..1."""
    if not a and not b:
        return 1.0
    return fuzz.ratio(a, b) / 100.0


def containment(a: str, b: str) -> float:
    """How much of the shorter of two normalised texts is found, in order, in the longer one."""
    shorter = min(len(a), len(b))
    if shorter == 0:
        return 0.0
    return LCSseq.similarity(a, b) / shorter


@dataclass(frozen=True)
class Segment:
    """One piece of a side-by-side view: ``equal`` text shows on both sides, the others highlighted."""

    tag: str  # "equal", "replace", "delete" (only in old), "insert" (only in new)
    old: str
    new: str


@dataclass
class ArticleChange:
    status: str  # one of STATUSES
    old: tuple[Unit, ...] = ()  # several for a merge
    new: tuple[Unit, ...] = ()  # several for a split
    similarity: float = 0.0  # of the normalised texts (joined for a split or merge); 1.0 when equal
    kind: str = "single"  # "single", "split" (one old, several new), "merge" (several old, one new)
    _opcodes: list | None = field(default=None, repr=False, compare=False)

    @property
    def old_text(self) -> str:
        return "\n".join(u.text for u in self.old)

    @property
    def new_text(self) -> str:
        return "\n".join(u.text for u in self.new)

    @property
    def old_refs(self) -> tuple[str, ...]:
        return tuple(u.ref for u in self.old)

    @property
    def new_refs(self) -> tuple[str, ...]:
        return tuple(u.ref for u in self.new)

    @property
    def moved(self) -> bool:
        """The unit now sits in another division (章/节/编)."""
        return bool(self.old and self.new) and self.old[0].path != self.new[0].path

    @property
    def references_only(self) -> bool:
        """Changed only in the numbers of its cross-references (本法第八条 → 本法第十一条).

        Still ``changed`` (a question may ask for the number), but a reviewer can keep it quickly.
        """
        if self.status != "changed" or len(self.old) != 1 or len(self.new) != 1:
            return False
        old, new = normalize_text(self.old_text), normalize_text(self.new_text)
        return old != new and _XREF_RE.sub("第#", old) == _XREF_RE.sub("第#", new)

    def opcodes(self) -> list[tuple[str, int, int, int, int]]:
        """difflib opcodes, character by character, from ``old_text`` to ``new_text``."""
        if self._opcodes is None:
            matcher = difflib.SequenceMatcher(None, self.old_text, self.new_text, autojunk=False)
            self._opcodes = matcher.get_opcodes()
        return self._opcodes

    def side_by_side(self) -> list[Segment]:
        """The texts cut into equal and differing pieces, for showing 旧 and 新 with highlights."""
        old, new = self.old_text, self.new_text
        return [Segment(tag, old[i1:i2], new[j1:j2]) for tag, i1, i2, j1, j2 in self.opcodes()]


@dataclass
class EditionDiff:
    changes: list[ArticleChange]  # old units in old order (a merge where its first old unit was), then added

    def counts(self) -> dict[str, int]:
        """Old units by status (a merge counts each), and new units nobody matched as ``added``."""
        counts = dict.fromkeys(STATUSES, 0)
        for change in self.changes:
            counts[change.status] += len(change.new) if change.status == "added" else len(change.old)
        return counts

    def by_status(self, status: str) -> list[ArticleChange]:
        return [c for c in self.changes if c.status == status]

    @property
    def splits(self) -> list[ArticleChange]:
        return [c for c in self.changes if c.kind == "split"]

    @property
    def merges(self) -> list[ArticleChange]:
        return [c for c in self.changes if c.kind == "merge"]

    def for_old(self, ref_or_number: str | int, suffix: int = 0) -> ArticleChange | None:
        """What became of an old unit, by ref (``第十二条``, ``一、（二）``) or article number."""
        return self._find(ref_or_number, suffix, old=True)

    def for_new(self, ref_or_number: str | int, suffix: int = 0) -> ArticleChange | None:
        """Where a new unit came from, by ref or article number."""
        return self._find(ref_or_number, suffix, old=False)

    def _find(self, ref_or_number, suffix: int, *, old: bool) -> ArticleChange | None:
        for change in self.changes:
            for unit in change.old if old else change.new:
                if isinstance(ref_or_number, str):
                    if unit.ref == ref_or_number:
                        return change
                elif unit.key == (ref_or_number, suffix):
                    return change
        return None

    def follow(self, ref_or_number: str | int, suffix: int = 0) -> tuple[str | None, bool]:
        """For a question citing an old unit: (the new ref to cite, whether it needs review 需复核).

        Unchanged and renumbered units are followed silently; a changed one (split or merged too)
        points at its first new unit and needs review; a removed or unknown one has no new ref.
        """
        change = self.for_old(ref_or_number, suffix)
        if change is None or change.status == "removed":
            return None, True
        return change.new[0].ref, change.status == "changed"

    def mapping(self) -> dict[str, tuple[str, ...]]:
        """Old ref → the new refs it continues in (empty when removed)."""
        return {u.ref: change.new_refs for change in self.changes for u in change.old}


# --- matching --------------------------------------------------------------------------------


class _Matcher:
    def __init__(self, old: Sequence[Unit], new: Sequence[Unit]):
        self.old = list(old)
        self.new = list(new)
        self.old_norm = [normalize_text(u.text) for u in self.old]
        self.new_norm = [normalize_text(u.text) for u in self.new]
        self.old_to_new: dict[int, int] = {}
        self.new_to_old: dict[int, int] = {}
        self._in_place_cache: dict[tuple[int, int], float | None] = {}
        # similarities ≥ EXPANSION_FLOOR found in stage 2; a pair it compared but did not keep is lower
        self._scores: dict[int, dict[int, float]] = {}
        self._compared_new: set[int] = set()

    def pair(self, i: int, j: int) -> None:
        self.old_to_new[i] = j
        self.new_to_old[j] = i

    # stage 1
    def match_exact(self) -> None:
        by_text: dict[str, list[int]] = {}
        for j, text in enumerate(self.new_norm):
            by_text.setdefault(text, []).append(j)
        pending = []
        for i, text in enumerate(self.old_norm):
            candidates = by_text.get(text)
            if not candidates:
                continue
            same = [j for j in candidates if self.new[j].key == self.old[i].key]
            if same:
                j = same[0]
                candidates.remove(j)
                self.pair(i, j)
            else:
                pending.append(i)
        for i in pending:
            candidates = by_text.get(self.old_norm[i])
            if candidates:
                j = candidates.pop(0)
                self.pair(i, j)

    def _window(self) -> list[tuple[int, int]]:
        """For each old index: the open interval of new positions it can take without moving.

        The bounds come from the backbone of the pairs made so far: the longest run of pairs whose
        new positions increase with the old ones (pairs off the backbone are moved articles, and a
        moved article must not close the window of its old neighbours).
        """
        backbone = _longest_increasing(sorted(self.old_to_new.items()))
        n_old = len(self.old)
        lower = [-1] * n_old
        upper = [len(self.new)] * n_old
        last = -1
        k = 0
        for i in range(n_old):
            while k < len(backbone) and backbone[k][0] < i:
                last = backbone[k][1]
                k += 1
            lower[i] = last
        nxt = len(self.new)
        k = len(backbone) - 1
        for i in range(n_old - 1, -1, -1):
            while k >= 0 and backbone[k][0] > i:
                nxt = backbone[k][1]
                k -= 1
            upper[i] = nxt
        return list(zip(lower, upper))

    # stage 2
    def match_similar(self) -> None:
        rest_old = [i for i in range(len(self.old)) if i not in self.old_to_new]
        rest_new = [j for j in range(len(self.new)) if j not in self.new_to_old]
        if not rest_old or not rest_new:
            return
        choices = [self.new_norm[j] for j in rest_new]
        self._compared_new = set(rest_new)
        window = self._window()
        candidates = []
        for i in rest_old:
            lo, hi = window[i]
            # process.extract runs the comparisons in C++ and skips pairs below the cutoff early
            found = process.extract(
                self.old_norm[i], choices, scorer=fuzz.ratio, limit=None, score_cutoff=EXPANSION_FLOOR * 100,
            )
            scores = self._scores.setdefault(i, {})
            for _choice, raw, b in found:
                j = rest_new[b]
                score = raw / 100.0
                scores[j] = score
                in_place = lo < j < hi
                if score < (IN_PLACE_THRESHOLD if in_place else MATCH_THRESHOLD):
                    continue
                order = score
                if in_place:
                    order += IN_PLACE_BONUS
                if self.old[i].key == self.new[j].key:
                    order += SAME_NUMBER_BONUS
                candidates.append((order, score, i, j))
        candidates.sort(key=lambda c: (-c[0], c[2], c[3]))
        for _order, _score, i, j in candidates:
            if i in self.old_to_new or j in self.new_to_old:
                continue
            self.pair(i, j)

    # stage 3
    def match_in_place(self) -> None:
        """Pair what is left between the same neighbours at a lower bar, until nothing changes."""
        while True:
            window = self._window()
            candidates = []
            for i in range(len(self.old)):
                if i in self.old_to_new:
                    continue
                lo, hi = window[i]
                places = set(range(lo + 1, hi))
                # next to where its old neighbour went, even if that neighbour moved
                if i - 1 in self.old_to_new:
                    places.add(self.old_to_new[i - 1] + 1)
                if i + 1 in self.old_to_new:
                    places.add(self.old_to_new[i + 1] - 1)
                free = [j for j in sorted(places) if 0 <= j < len(self.new) and j not in self.new_to_old]
                for j, score in self._in_place_scores(i, free):
                    candidates.append((score, i, j))
            made = False
            for _score, i, j in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
                if i in self.old_to_new or j in self.new_to_old:
                    continue
                self.pair(i, j)
                made = True
            if not made:
                return

    def _in_place_scores(self, i: int, places: list[int]) -> list[tuple[int, float]]:
        """(new index, similarity) for the places where old unit ``i`` would pair in place (cached)."""
        todo = [j for j in places if (i, j) not in self._in_place_cache]
        if todo:
            a = self.old_norm[i]
            known = self._scores.get(i, {}) if i in self._scores else None
            found = []
            if known is not None:
                found = [(j, known[j]) for j in todo if j in self._compared_new and j in known]
                todo_unknown = [j for j in todo if j not in self._compared_new]
            else:
                todo_unknown = todo
            if todo_unknown:
                extra = process.extract(
                    a, [self.new_norm[j] for j in todo_unknown], scorer=fuzz.ratio, limit=None,
                    score_cutoff=EXPANSION_FLOOR * 100,
                )
                found += [(todo_unknown[k], raw / 100.0) for _choice, raw, k in extra]
            for j in todo:
                self._in_place_cache[(i, j)] = None
            for j, score in found:
                b = self.new_norm[j]
                if score >= IN_PLACE_THRESHOLD or (
                    min(len(a), len(b)) >= MIN_PART_CHARS and containment(a, b) >= CONTAINMENT_THRESHOLD
                ):
                    self._in_place_cache[(i, j)] = score
        return [(j, self._in_place_cache[(i, j)]) for j in places if self._in_place_cache[(i, j)] is not None]

    # stage 4
    def _sentences(self, side: str, index: int) -> list[str]:
        cache = self._sentence_cache.setdefault(side, {})
        if index not in cache:
            unit = (self.old if side == "old" else self.new)[index]
            cache[index] = [t for t in (normalize_text(p) for p in _SENTENCE_RE.split(unit.text)) if t]
        return cache[index]

    @staticmethod
    def _residual(host: list[str], partner: list[str]) -> list[str]:
        """The host's sentences its partner did not carry over."""
        return [s for s in host if _best_ratio(s, partner) < CARRIED_SENTENCE]

    @staticmethod
    def _carries(part: list[str], residual: list[str], *, part_is_old: bool) -> bool:
        """Some long sentence of ``part`` is one of the ``residual`` long sentences, perhaps reworded
        (ratio) or kept and extended (most of the old sentence is found in the new one)."""
        residual = [r for r in residual if len(r) >= MIN_SENTENCE_CHARS]
        for s in part:
            if len(s) < MIN_SENTENCE_CHARS:
                continue
            for r in residual:
                old_len = len(s) if part_is_old else len(r)
                if fuzz.ratio(s, r) >= MOVED_SENTENCE * 100:
                    return True
                if LCSseq.similarity(s, r) / old_len >= MOVED_SENTENCE_KEPT:
                    return True
        return False

    def find_groups(self) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
        """splits: old index → its new indices; merges: new index → its old indices."""
        self._sentence_cache: dict[str, dict[int, list[str]]] = {}
        splits: dict[int, list[int]] = {}
        claimed: set[int] = set()
        for i, c in sorted(self.old_to_new.items()):
            if self.old_norm[i] == self.new_norm[c]:
                continue
            residual = self._residual(self._sentences("old", i), self._sentences("new", c))
            run = self._grow(c, residual, "new", self.new_to_old, claimed)
            if len(run) > 1:
                splits[i] = run
                claimed.update(run)
        merges: dict[int, list[int]] = {}
        claimed = set()
        for j, c in sorted(self.new_to_old.items()):
            if c in splits or self.old_norm[c] == self.new_norm[j]:
                continue
            residual = self._residual(self._sentences("new", j), self._sentences("old", c))
            run = self._grow(c, residual, "old", self.old_to_new, claimed)
            if len(run) > 1:
                merges[j] = run
                claimed.update(run)
        return splits, merges

    def _grow(self, start: int, residual: list[str], side: str, matched: dict[int, int],
              claimed: set[int]) -> list[int]:
        """``start`` and the unmatched neighbours on ``side`` that carry sentences of ``residual``."""
        run = [start]
        if not residual:
            return run
        size = len(self.new if side == "new" else self.old)
        for step in (1, -1):
            k = start + step
            while 0 <= k < size and k not in matched and k not in claimed and self._carries(
                self._sentences(side, k), residual, part_is_old=side == "old"
            ):
                run.append(k)
                k += step
        return sorted(run)


def _best_ratio(sentence: str, pool: list[str]) -> float:
    found = process.extractOne(sentence, pool, scorer=fuzz.ratio) if pool else None
    return found[1] / 100.0 if found else 0.0


def _longest_increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest subsequence of (old, new) pairs, sorted by old, whose new positions increase."""
    tails: list[int] = []  # tails[k]: index in pairs of the smallest tail of an increasing run of length k+1
    tail_values: list[int] = []
    previous = [-1] * len(pairs)
    for idx, (_i, j) in enumerate(pairs):
        k = bisect.bisect_left(tail_values, j)
        if k > 0:
            previous[idx] = tails[k - 1]
        if k == len(tails):
            tails.append(idx)
            tail_values.append(j)
        else:
            tails[k] = idx
            tail_values[k] = j
    run = []
    idx = tails[-1] if tails else -1
    while idx != -1:
        run.append(pairs[idx])
        idx = previous[idx]
    return run[::-1]


def diff_editions(old: MaterialStructure, new: MaterialStructure) -> EditionDiff:
    """Classify every unit of ``old`` against ``new`` (see the module docstring for the rules)."""
    m = _Matcher(old.units, new.units)
    m.match_exact()
    m.match_similar()
    m.match_in_place()
    splits, merges = m.find_groups()

    changes: list[tuple[int, int, ArticleChange]] = []  # (old position, new position, change)
    used_old: set[int] = set()
    used_new: set[int] = set()
    for i, parts in splits.items():
        change = ArticleChange(
            status="changed", old=(m.old[i],), new=tuple(m.new[j] for j in parts),
            similarity=similarity(m.old_norm[i], "".join(m.new_norm[j] for j in parts)), kind="split",
        )
        changes.append((i, parts[0], change))
        used_old.add(i)
        used_new.update(parts)
    for j, olds in merges.items():
        if j in used_new or used_old & set(olds):
            continue
        change = ArticleChange(
            status="changed", old=tuple(m.old[i] for i in olds), new=(m.new[j],),
            similarity=similarity("".join(m.old_norm[i] for i in olds), m.new_norm[j]), kind="merge",
        )
        changes.append((olds[0], j, change))
        used_old.update(olds)
        used_new.add(j)
    for i, j in m.old_to_new.items():
        if i in used_old or j in used_new:
            continue
        if m.old_norm[i] == m.new_norm[j]:
            status = "unchanged" if m.old[i].key == m.new[j].key else "renumbered"
            score = 1.0
        else:
            status = "changed"
            score = similarity(m.old_norm[i], m.new_norm[j])
        change = ArticleChange(status=status, old=(m.old[i],), new=(m.new[j],), similarity=score)
        changes.append((i, j, change))
        used_old.add(i)
        used_new.add(j)
    for i in range(len(m.old)):
        if i not in used_old:
            changes.append((i, -1, ArticleChange(status="removed", old=(m.old[i],))))
    ordered = sorted(changes, key=lambda c: (c[0], c[1]))
    added = [
        ArticleChange(status="added", new=(m.new[j],)) for j in range(len(m.new)) if j not in used_new
    ]
    return EditionDiff(changes=[c for _i, _j, c in ordered] + added)
