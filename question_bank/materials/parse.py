"""Split a regulation or policy text into its structure: 编/分编/章/节 divisions and 第X条 articles.

``parse_material(text)`` never raises: whatever it cannot place goes to the preamble, a division's
loose text or ``warnings``. The rules, in the order they apply to each line (after stripping
whitespace, including the full-width space U+3000):

Title and preamble
    The first non-empty line is the title when it is short (≤ 60 characters), has no 。 and is not
    itself a heading or an article. Every line before the first heading or article of the body is
    the preamble (the adoption and amendment record of a law, a 序言, a policy text's opening).

Table of contents (目录)
    A line ``目录`` (spaces allowed: ``目　录``) before the first article starts the table of
    contents. It ends just before the heading that repeats its first entry (``第一章 总则`` listed
    in the 目录 and then again over 第一条), or, when nothing repeats, at the first line that is
    neither a heading nor blank (entries may end in page numbers: ``第一章 总则 ……1``). Its lines
    are kept in ``toc`` and count for nothing.

Divisions
    ``第X编``, ``第X分编``, ``第X章``, ``第X节`` at the start of a line, followed by the end of the
    line or a short title (≤ 50 characters, no 。 or ；). A division closes the open divisions of
    its own rank and below (编 > 分编 > 章 > 节). ``附则`` alone on a line (刑法's un-numbered
    supplementary part) is a division of kind ``supplementary`` that closes every open division.
    ``附件``/``附录``/``附表`` (optionally numbered, e.g. 附件一) on a short line starts an annex:
    its lines are kept as the annex division's ``text`` and are never parsed as articles.

Articles
    ``第X条`` or ``第X条之Y`` at the start of a line (X, Y Chinese or Arabic numerals), followed by
    whitespace, the end of the line, or the article's text. It is a new article only if
    - the label is not followed directly by words that make it a cross-reference
      (``第十条的规定``, ``第十条规定``, ``第十条第二款``, ``第十条、第十一条`` ...), and
    - it comes after the previous article in order (number, then 之Y), so a paragraph that opens
      with a reference to an earlier article stays in the current article.
    References inside a line (``依照本法第二十条第一款``) are never looked at. Numbers above
    ``MAX_NUMBER`` (99 999) are not article numbers. An article's text is its paragraphs and
    numbered items (（一）, 1.) joined with newlines, without the label; its ``label`` is always
    written in Chinese numerals (``第12条`` in the source gives ``第十二条``).

Notes
    Lines opening with ``注：``/``注释：``, ``[1]``/``［1］``, ``（注：`` or a circled number
    ``①``-``⑳`` are notes (a compiler's footnote such as 刑法's ``① 刑法、历次刑法修正案…``):
    kept in ``notes`` with the label of the unit they follow, never in an article's text.

Policy texts without articles
    When no article is found, numbered paragraphs become the citable units (``sections``):
    ``一、`` level 1, ``（一）`` level 2, ``1.``/``1．``/``1、`` level 3, ``（1）`` level 4. A section
    runs to the next numbered paragraph at any level; its ``ref`` is the path of labels
    (``二、（三）1.``). (Not to be confused with a 节, which is a ``Division`` of kind ``section``.)

Counting chapters
    ``chapters`` is the number of numbered 章 headings in the body: the 目录 is not counted, 章
    numbering that restarts in each 编 is counted in each (刑法: 5 in 第一编 + 10 in 第二编 = 15), and
    the un-numbered 附则 and 附件 are not chapters (a 附则 written ``第六章 附则`` is).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from question_bank.materials.numerals import NUMERAL_CHARS, article_label, parse_number, to_chinese

__all__ = [
    "Article",
    "Division",
    "MaterialStructure",
    "Note",
    "PolicySection",
    "parse_material",
]

# kind (English identifier) -> (rank, the Chinese word in the heading)
DIVISION_KINDS = {"part": (0, "编"), "subpart": (1, "分编"), "chapter": (2, "章"), "section": (3, "节")}
_KIND_BY_WORD = {word: kind for kind, (_rank, word) in DIVISION_KINDS.items()}

_N = f"[{NUMERAL_CHARS}]+"
_HEADING_RE = re.compile(rf"^第\s*(?P<num>{_N})\s*(?P<word>分编|编|章|节)(?P<rest>.*)$")
_ARTICLE_RE = re.compile(rf"^第\s*(?P<num>{_N})\s*条(?:之(?P<suf>{_N}))?(?P<rest>.*)$", re.S)
_SUPPLEMENTARY_RE = re.compile(r"^附\s*则$")
_ANNEX_RE = re.compile(rf"^(?P<word>附\s*件|附\s*录|附\s*表)\s*(?P<num>{_N})?\s*(?:[：:].{{0,40}})?$")
_TOC_RE = re.compile(r"^目\s*录$")
_NOTE_RE = re.compile(r"^(?:注释?\s*[：:]|[（(]注\s*[：:]|[\[［]\d+[\]］]|[①-⑳])")
# Words that, right after 第X条, make it a reference rather than the start of an article.
_REFERENCE_CONTINUATIONS = (
    "的", "规定", "所", "中", "至", "到", "、", "，", ",", "。", "；", ";", "第", "和", "与", "或",
    "及", "以", "前", "后", "外", "之", "款", "项", "条", "）", ")", "”", "》",
)
_POLICY_PATTERNS = (
    (1, re.compile(r"^(?P<num>[一二三四五六七八九十百]+)\s*、(?P<rest>.*)$", re.S), "{n}、"),
    (2, re.compile(r"^[（(]\s*(?P<num>[一二三四五六七八九十百]+)\s*[）)](?P<rest>.*)$", re.S), "（{n}）"),
    (3, re.compile(r"^(?P<num>[0-9０-９]{1,3})\s*[.．、](?![0-9０-９])(?P<rest>.*)$", re.S), "{n}."),
    (4, re.compile(r"^[（(]\s*(?P<num>[0-9０-９]{1,3})\s*[）)](?P<rest>.*)$", re.S), "（{n}）"),
)
_MAX_TITLE = 50
MAX_NUMBER = 99_999  # larger "article numbers" are not article numbers (and have no Chinese label)


@dataclass
class Division:
    """A 编, 分编, 章 or 节 (or the un-numbered 附则, or an annex 附件)."""

    kind: str  # "part" 编, "subpart" 分编, "chapter" 章, "section" 节, "supplementary" 附则, "annex" 附件
    number: int | None  # None for 附则 and an un-numbered 附件
    title: str  # "总则"; decorative spaces inside Chinese words removed (总 则 -> 总则)
    label: str  # "第二章", "附则", "附件一"
    line: int  # 1-based line of the heading
    path: tuple[str, ...] = ()  # labels from the outermost division down to this one
    children: list[Division] = field(default_factory=list)
    articles: list[Article] = field(default_factory=list)  # directly in this division
    text: str = ""  # lines in the division that belong to no article (an annex's content)

    @property
    def heading(self) -> str:
        return f"{self.label} {self.title}".strip() if self.title != self.label else self.label

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class Article:
    """One 第X条 (or 第X条之Y)."""

    number: int
    suffix: int  # 0, or Y for 第X条之Y
    label: str  # "第十二条之一", always in Chinese numerals whatever the source used
    text: str  # paragraphs and items, newline-separated, without the label
    position: int  # 0-based order among the articles
    path: tuple[str, ...]  # labels of the enclosing divisions, e.g. ("第二编", "第三章", "第一节")
    line: int  # 1-based line where the article starts

    @property
    def key(self) -> tuple[int, ...]:
        return (self.number, self.suffix)

    @property
    def ref(self) -> str:
        return self.label

    @property
    def paragraphs(self) -> list[str]:
        return self.text.split("\n") if self.text else []


@dataclass(frozen=True)
class PolicySection:
    """A numbered paragraph of a policy text without articles (一、, （一）, 1., （1）)."""

    level: int  # 1 一、  2 （一）  3 1.  4 （1）
    number: int
    label: str  # "一、", "（二）", "3.", "（4）"
    title: str  # the words up to the first 。/：/； when that is short, else ""
    text: str  # the paragraph and what follows it up to the next numbered paragraph, no label
    position: int
    path: tuple[str, ...]  # labels of the enclosing sections (and divisions, if any)
    line: int
    numbers: tuple[int, ...] = ()  # numbers of the enclosing sections and this one

    @property
    def key(self) -> tuple[int, ...]:
        return self.numbers

    @property
    def ref(self) -> str:
        return "".join(p for p in self.path if not p.startswith("第")) + self.label


@dataclass(frozen=True)
class Note:
    text: str
    line: int
    after: str | None  # ref of the unit (or label of the division) the note follows, if any


@dataclass
class MaterialStructure:
    title: str | None = None
    preamble: str = ""
    toc: list[str] = field(default_factory=list)
    divisions: list[Division] = field(default_factory=list)  # top level; children nest
    articles: list[Article] = field(default_factory=list)
    sections: list[PolicySection] = field(default_factory=list)  # only when there are no articles
    notes: list[Note] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def all_divisions(self) -> list[Division]:
        return [d for top in self.divisions for d in top.walk()]

    def division_count(self, kind: str, *, numbered: bool = True) -> int:
        return sum(
            1 for d in self.all_divisions() if d.kind == kind and (d.number is not None or not numbered)
        )

    @property
    def chapters(self) -> int:
        """Numbered 章 headings in the body (see the module docstring for what is not counted)."""
        return self.division_count("chapter")

    @property
    def units(self) -> list[Article] | list[PolicySection]:
        """The citable units: the articles, or the numbered sections of a text without articles."""
        return self.articles if self.articles else self.sections

    def article(self, number: int, suffix: int = 0) -> Article | None:
        for art in self.articles:
            if art.number == number and art.suffix == suffix:
                return art
        return None

    def unit(self, ref: str) -> Article | PolicySection | None:
        for u in self.units:
            if u.ref == ref:
                return u
        return None


# --- line classification -------------------------------------------------------------------


def _clean_title(text: str) -> str:
    text = text.strip()
    # "总 则" -> "总则": spaces between two CJK characters are decoration
    return re.sub(r"(?<=[\u3400-\u9fff])[\s\u3000]+(?=[\u3400-\u9fff])", "", text)


def _heading(line: str):
    """(kind, number, title) if the line is a 编/分编/章/节 heading."""
    m = _HEADING_RE.match(line)
    if not m:
        return None
    rest = m["rest"]
    if rest and not rest[0].isspace() and rest[0] not in "：:":
        # "第一章总则" is a heading, "第一章规定的……" is not
        if len(rest) > 20 or rest.startswith(_REFERENCE_CONTINUATIONS):
            return None
    rest = rest.strip().lstrip("：:").strip()
    if len(rest) > _MAX_TITLE or any(p in rest for p in "。；;"):
        return None
    try:
        number = parse_number(m["num"])
    except ValueError:
        return None
    if not 0 < number <= MAX_NUMBER:
        return None
    return _KIND_BY_WORD[m["word"]], number, _clean_title(rest)


def _annex(line: str):
    m = _ANNEX_RE.match(line)
    if not m:
        return None
    number = None
    if m["num"]:
        try:
            number = parse_number(m["num"])
        except ValueError:
            return None
        if number > MAX_NUMBER:
            return None
    return number, _clean_title(line)


def _article_start(line: str):
    """(number, suffix, rest) if the line opens like an article; ordering is checked by the caller."""
    m = _ARTICLE_RE.match(line)
    if not m:
        return None
    rest = m["rest"]
    if rest and not rest[0].isspace():
        if rest.startswith(_REFERENCE_CONTINUATIONS):
            return None
    try:
        number = parse_number(m["num"])
        suffix = parse_number(m["suf"]) if m["suf"] else 0
    except ValueError:
        return None
    if not 0 < number <= MAX_NUMBER or suffix > MAX_NUMBER:
        return None
    rest = rest.strip()
    if rest[:1] in "：:":
        rest = rest[1:].strip()
    return number, suffix, rest


def _policy_start(line: str):
    for level, pattern, template in _POLICY_PATTERNS:
        m = pattern.match(line)
        if not m:
            continue
        try:
            number = parse_number(m["num"])
        except ValueError:
            continue
        if number > MAX_NUMBER:
            continue
        label = template.format(n=m["num"] if level in (1, 2) else number)
        return level, number, label, m["rest"].strip()
    return None


def _section_title(first: str) -> str:
    m = re.match(r"^([^。：:；;，,]{1,30})(?:[。：:；;]|$)", first)
    return m.group(1).strip() if m else ""


# --- the parser ------------------------------------------------------------------------------


_PAGE_RE = re.compile(r"[\s.．…·—\-]*[0-9０-９]+$")


def _toc_key(line: str):
    """(kind, number) of a heading as listed in a 目录 (page numbers allowed), else None."""
    line = _PAGE_RE.sub("", line).strip()
    head = _heading(line)
    if head:
        return head[0], head[1]
    if _SUPPLEMENTARY_RE.match(line):
        return "supplementary", 0
    annex = _annex(line)
    if annex:
        return "annex", annex[0]
    return None


def _toc_range(lines: list[str], first_article: int | None) -> tuple[int, int] | None:
    """[start, end) of the 目录 lines, if there is one before the first article."""
    limit = first_article if first_article is not None else len(lines)
    start = next((i for i in range(limit) if _TOC_RE.match(lines[i])), None)
    if start is None:
        return None
    first_key = None
    for i in range(start + 1, limit):
        line = lines[i]
        if not line:
            continue
        key = _toc_key(line)
        if key is None:
            return start, i
        if first_key is None:
            first_key = key
        elif key == first_key:
            return start, i
    return start, limit


class _Builder:
    def __init__(self, lines: list[str], policy: bool):
        self.lines = lines
        self.policy = policy
        self.result = MaterialStructure()
        self.stack: list[Division] = []  # open divisions, outermost first
        self.annex: Division | None = None
        self.body_started = False
        self.preamble: list[str] = []
        self.current: dict | None = None  # the unit being read
        self.section_stack: list[dict] = []  # open policy sections (for paths)
        self.last_key: tuple[int, int] | None = None
        self.last_ref: str | None = None

    # units ------------------------------------------------------------------------------
    def _path(self) -> tuple[str, ...]:
        return tuple(d.label for d in self.stack)

    def _flush(self) -> None:
        cur = self.current
        if cur is None:
            return
        self.current = None
        text = "\n".join(cur["paragraphs"])
        if cur["kind"] == "article":
            art = Article(
                number=cur["number"], suffix=cur["suffix"], label=article_label(cur["number"], cur["suffix"]),
                text=text, position=len(self.result.articles), path=cur["path"], line=cur["line"],
            )
            self.result.articles.append(art)
            if cur["division"] is not None:
                cur["division"].articles.append(art)
        else:
            first = cur["paragraphs"][0] if cur["paragraphs"] else ""
            self.result.sections.append(PolicySection(
                level=cur["level"], number=cur["number"], label=cur["label"], title=_section_title(first),
                text=text, position=len(self.result.sections), path=cur["path"], line=cur["line"],
                numbers=cur["numbers"],
            ))

    def _open_division(self, kind: str, number: int | None, title: str, label: str, lineno: int) -> None:
        self._flush()
        self.body_started = True
        self.section_stack.clear()
        if kind in DIVISION_KINDS:
            rank = DIVISION_KINDS[kind][0]
            while self.stack and DIVISION_KINDS.get(self.stack[-1].kind, (-1,))[0] >= rank:
                self.stack.pop()
            # 附则 and annexes are top-level: nothing numbered nests in them
            if self.stack and self.stack[-1].kind not in DIVISION_KINDS:
                self.stack.clear()
        else:
            self.stack.clear()
        div = Division(kind=kind, number=number, title=title, label=label, line=lineno)
        div.path = self._path() + (label,)
        if self.stack:
            self.stack[-1].children.append(div)
        else:
            self.result.divisions.append(div)
        self.stack.append(div)
        self.annex = div if kind == "annex" else None

    def _add_text(self, line: str, lineno: int) -> None:
        if self.current is not None:
            self.current["paragraphs"].append(line)
        elif self.annex is not None or (self.stack and self.body_started):
            div = self.stack[-1]
            div.text = f"{div.text}\n{line}" if div.text else line
        else:
            self.preamble.append(line)

    # the main loop ---------------------------------------------------------------------
    def run(self, start: int, skip: tuple[int, int] | None) -> MaterialStructure:
        for i in range(start, len(self.lines)):
            if skip and skip[0] <= i < skip[1]:
                continue
            line = self.lines[i]
            if not line:
                continue
            self._line(line, i + 1)
        self._flush()
        self.result.preamble = "\n".join(self.preamble)
        return self.result

    def _line(self, line: str, lineno: int) -> None:
        if self.annex is None or _annex(line):
            head = _heading(line)
            if head:
                kind, number, title = head
                word = DIVISION_KINDS[kind][1]
                self._open_division(kind, number, title, f"第{to_chinese(number)}{word}", lineno)
                return
            if _SUPPLEMENTARY_RE.match(line):
                self._open_division("supplementary", None, "附则", "附则", lineno)
                return
            annex = _annex(line)
            if annex and (self.body_started or self.result.articles):
                number, label = annex
                self._open_division("annex", number, label, label, lineno)
                return
        if _NOTE_RE.match(line):
            self.result.notes.append(Note(text=line, line=lineno, after=self._note_anchor()))
            return
        if self.annex is not None:
            self._add_text(line, lineno)
            return
        if self.policy:
            if self._policy_line(line, lineno):
                return
        else:
            if self._article_line(line, lineno):
                return
        self._add_text(line, lineno)

    def _note_anchor(self) -> str | None:
        if self.current is not None:
            kind = self.current["kind"]
            if kind == "article":
                return article_label(self.current["number"], self.current["suffix"])
            return "".join(self.current["path"]) + self.current["label"]
        if self.stack:
            return self.stack[-1].label
        return None

    def _article_line(self, line: str, lineno: int) -> bool:
        start = _article_start(line)
        if not start:
            return False
        number, suffix, rest = start
        key = (number, suffix)
        if self.last_key is not None and key <= self.last_key:
            self.result.warnings.append(
                f"line {lineno}: {article_label(number, suffix)} after {article_label(*self.last_key)} "
                "kept as text of the article before it"
            )
            return False
        self._flush()
        self.body_started = True
        self.last_key = key
        self.current = {
            "kind": "article", "number": number, "suffix": suffix, "paragraphs": [rest] if rest else [],
            "path": self._path(), "line": lineno, "division": self.stack[-1] if self.stack else None,
        }
        return True

    def _policy_line(self, line: str, lineno: int) -> bool:
        start = _policy_start(line)
        if not start:
            return False
        level, number, label, rest = start
        self._flush()
        self.body_started = True
        while self.section_stack and self.section_stack[-1]["level"] >= level:
            self.section_stack.pop()
        path = self._path() + tuple(s["label"] for s in self.section_stack)
        numbers = tuple(s["number"] for s in self.section_stack) + (number,)
        entry = {"level": level, "number": number, "label": label}
        self.section_stack.append(entry)
        self.current = {
            "kind": "section", "level": level, "number": number, "label": label, "numbers": numbers,
            "paragraphs": [rest] if rest else [], "path": path, "line": lineno,
        }
        return True


def _is_title(line: str) -> bool:
    return (
        len(line) <= 60 and "。" not in line and not _heading(line) and not _article_start(line)
        and not _TOC_RE.match(line) and not _SUPPLEMENTARY_RE.match(line) and not _policy_start(line)
        and not _NOTE_RE.match(line)
    )


def parse_material(text: str) -> MaterialStructure:
    """Parse a regulation or policy text into its structure. Never raises."""
    text = (text or "").replace("\ufeff", "")
    lines = [line.strip() for line in text.splitlines()]
    first = next((i for i, line in enumerate(lines) if line), None)
    if first is None:
        return MaterialStructure()
    title = lines[first] if _is_title(lines[first]) else None
    start = first + 1 if title is not None else first

    first_article = next((i for i in range(start, len(lines)) if _article_start(lines[i])), None)
    toc = _toc_range(lines, first_article)
    result = _Builder(lines, policy=False).run(start, toc)
    if not result.articles:
        result = _Builder(lines, policy=True).run(start, toc)
    result.title = title
    if toc:
        result.toc = [line for line in lines[toc[0] + 1:toc[1]] if line]
    return result
