"""The Word layout: question banks as organizers type them in Word or Notepad.

Shared by ``txt`` (plain text, or text pasted into the import page) and ``docx`` (one line per
paragraph). ``parse_lines`` takes ``(line number, text)`` pairs and never raises on content:
everything wrong becomes a ``Problem`` naming its line, and every such question is left out of
``drafts`` (the import refuses a result that has problems, so nothing is half-imported).

The layout, as read here (docs/ repeats this for organizers):

* **Section headings** set the type of the questions below them: ``一、单选题``,
  ``二、多项选择题（每题2分）``, ``三、判断题``, ``填空题``, ``（四）简答题``, ``第二部分 多选题``.
  ``选择题`` leaves the choice between single and multiple to the key. ``每题N分`` in a heading
  sets the points of its questions. Any other ``一、…`` line is a category heading.
* **Stems** start with a number: ``1.`` ``1、`` ``1．`` ``1:`` ``1)`` ``(1)`` ``（1）`` ``第1题``; numbering
  may restart in each section. A stem may also have no number: then any line that follows a
  finished question (after its answer, or a blank line) and is not an option, answer or
  explanation line starts the next one, as does a line that is directly followed by options.
  Lines after the first stem line and before the options belong to the stem. A leading tag
  ``【单选题】`` / ``(多选题, 2分)`` sets the question's type (and points).
* **Options** ``A.`` ``A、`` ``A．`` ``A:`` ``A)`` ``(A)`` ``（A）`` (A to H, half or full width). Several
  options may share a line when whitespace separates them and the letters run on in order
  (``A.蓝天   B.碧水``). A line without a marker after an option continues that option.
* **Keys**: ``答案：B``, ``正确答案: ABC``, ``参考答案：对``, ``标准答案``, ``【答案】B``, ``答：…``; or a bare
  letter (``B``, ``ACD``, ``A、C、D``) alone on the line after the options; or ``对``/``错``/``√``/``×``
  alone after an option-less stem; or the key in brackets in the stem, ``（ B ）`` ``( ABC )``
  ``（√）`` ``（对）``, which then becomes the blank ``（ ）``. Answer lines beat a bracket; when both
  are present they must agree. ``我的答案``/``学生答案``/``得分`` lines (学习通 exports) are ignored.
  A key may also be an option's full text (``答案：正确`` with ``B.正确``).
* **Other lines**: ``解析：`` (continues over the following lines until the next question),
  ``分值：0.5分``, ``难度：3``/``易``/``中``/``难``/``★★★``, ``知识点：a；b``, ``出处：``/``来源：``,
  ``科目：``, ``题型：``.
* **Types** when no heading or tag says: options and one key letter → single, several → multiple;
  no options and a 对/错/√/×/正确/错误/T/F key → true_false; blanks ``（ ）`` ``___`` ``【】`` in the
  stem and a text key → fill_blank; otherwise a text key is a short_answer reference.
* **Fill-in keys**: ``|`` separates blanks and ``/`` alternatives (as in the Excel template). Without
  a ``|``, a key for a stem with several blanks is split at whitespace, else ``、``, else ``；``,
  else ``，`` — the first that gives exactly one part per blank; otherwise it is one answer and the
  mismatch is a problem.
* **Problems** (the file is refused; each names its line): a key naming an option that is not
  printed (on the question's line), a choice question without key or with fewer than two
  options, options without a stem, option letters out of order, a single-choice key of
  several letters, a bracket key that contradicts the answer line, unreadable 难度/分值.
* **Notices** (``skipped``, not blocking): unnumbered text with no options, key or explanation (a
  title, a note), and a stem line that only repeats one of its options (a leftover while typing).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from question_bank.answers import (
    BLANK_PATTERN,
    QUESTION_TYPE_WORDS,
    count_blanks,
    fold,
    parse_choice_letters,
    parse_fill_answers,
    parse_question_type,
    parse_true_false,
)
from question_bank.drafts import OPTION_KEYS, ParseResult, Problem, QuestionDraft, Skipped
from question_bank.messages import BankError, Message, N_

# ---------------------------------------------------------------------------------------------
# Line patterns. Lines are matched as typed (full- or half-width); only captured tokens are folded.

_LETTER = r"[A-HＡ-Ｈ]"
_OPTION_MARK = rf"(?:[(（]\s*(?P<pl>{_LETTER})\s*[)）]|(?P<l>{_LETTER})\s*[.．、:：)）])"
_OPTION_START = re.compile(rf"^{_OPTION_MARK}")
# A further option on the same line: after whitespace, with the next letter in order.
_OPTION_INLINE = re.compile(rf"(?<=\s){_OPTION_MARK}")
_BARE_LETTERS = re.compile(r"^[A-Ha-h](?:[\s,，、;；]*[A-Ha-h])*$")
_TF_BARE = {"对", "错", "正确", "错误", "√", "×", "✓", "✗", "✔", "✘"}

_DIGITS = r"[0-9０-９]+"
_NUMBERED = re.compile(
    rf"^(?:第\s*(?P<di>{_DIGITS})\s*题\s*[.．、:：]?"
    rf"|[(（]\s*(?P<paren>{_DIGITS})\s*[)）]"
    rf"|(?P<half>{_DIGITS})\s*[)）]"
    rf"|(?P<dot>{_DIGITS})\s*[.．、:：])\s*(?P<rest>.*)$",
    re.S,
)

_CN_NUM = "一二三四五六七八九十百"
_HEADING_PREFIX = re.compile(
    rf"^(?:第\s*[{_CN_NUM}0-9]+\s*(?:部分|大题|章|节|单元)\s*[、.．:：]?"
    rf"|[{_CN_NUM}]+\s*[、.．]"
    rf"|[(（]\s*[{_CN_NUM}]+\s*[)）])\s*"
)
_HEADING_WORD = re.compile(r"^(?P<word>[^\s（(：:，,]+)(?P<rest>.*)$", re.S)
_HEADING_REST = re.compile(r"^\s*(?:[(（][^()（）]*[)）])?\s*[:：]?\s*$|^\s+[^。？?]{0,30}$")
_HEADING_POINTS = re.compile(r"每\s*[小道]?\s*题\s*(?P<p>[0-9０-９]+(?:[.．][0-9０-９]+)?)\s*分")
_EXTRA_TYPE_WORDS = {"选择题": None, "选择": None}  # a choice section: the key decides single or multiple

_TYPE_TAG = re.compile(
    r"^[【\[(（]\s*(?P<word>[^】\])）,，\s]{1,8})\s*"
    r"(?:[,，]\s*(?P<points>[0-9０-９]+(?:[.．][0-9０-９]+)?)\s*分)?\s*[】\])）]\s*"
)

# Labelled lines. Longer words first, so 答案解析 is not read as 答案.
_LABELS: dict[str, str] = {
    "答案解析": "explanation", "试题解析": "explanation", "题目解析": "explanation", "解析": "explanation",
    "正确答案": "answer", "标准答案": "answer", "参考答案": "answer", "答案": "answer", "答": "answer",
    "我的答案": "ignore", "你的答案": "ignore", "学生答案": "ignore", "考生答案": "ignore",  # a student's, not the key
    "本题得分": "ignore", "得分": "ignore", "批语": "ignore",
    "本题分值": "points", "分值": "points", "分数": "points",
    "难易程度": "difficulty", "难易度": "difficulty", "难度": "difficulty",
    "知识点": "knowledge", "考点": "knowledge",
    "题目来源": "source", "出题依据": "source", "出处": "source", "来源": "source",
    "科目": "subject", "题型": "type",
}
_LABEL_WORDS = "|".join(sorted(_LABELS, key=len, reverse=True))
_LABEL = re.compile(
    rf"^(?:[【\[〖]\s*(?P<bw>{_LABEL_WORDS})\s*[】\]〗]\s*[:：]?"
    rf"|(?P<cw>{_LABEL_WORDS})\s*[:：]"
    rf"|(?P<sw>{_LABEL_WORDS})(?=\s))\s*(?P<value>.*)$",
    re.S,
)
# A further label later on the same line (学习通: 我的答案：A 正确答案：B), after whitespace or a semicolon.
_INLINE_WORDS = "|".join(sorted((w for w in _LABELS if len(w) >= 2), key=len, reverse=True))
_INLINE_LABEL = re.compile(
    rf"(?:(?<=\s)|(?<=[；;]))(?:[【\[〖]\s*(?P<bw>{_INLINE_WORDS})\s*[】\]〗]\s*[:：]?|(?P<cw>{_INLINE_WORDS})\s*[:：])\s*"
)
# 答 alone is an answer label only with a colon (答：…); 答案/正确答案 may also be followed by a space.
_SPACE_LABELS = {w for w in _LABELS if len(w) >= 2}

# An answer in brackets inside a stem: letters, or a true/false mark.
_BRACKET_LETTERS = re.compile(r"[(（]\s*(?P<key>[A-HＡ-Ｈ](?:[\s、,，]*[A-HＡ-Ｈ])*)\s*[)）]")
_BRACKET_TF = re.compile(r"[(（]\s*(?P<key>√|×|✓|✗|✔|✘|对|错|正确|错误)\s*[)）]")
EMPTY_BLANK = "（ ）"
# A stem that asks to pick among options (以下哪项 / 下列说法正确的是 …), and how long a key may be to
# read as a picked option rather than a written reference answer.
_ASKS_FOR_OPTION = re.compile(r"(?:以下|下列)[^。？?；;]{0,20}?(?:哪一?[项个些种条]|正确的是|错误的是|不正确的是|不属于|属于|不包括|包括)")
_SHORT_KEY = 30

_TF_INFER = {"对", "错", "正确", "错误", "√", "×", "✓", "✗", "✔", "✘", "T", "F", "TRUE", "FALSE"}

_DIFFICULTY_WORDS = {
    "很易": 1, "容易": 1, "简单": 1, "易": 1,
    "较易": 2, "较简单": 2,
    "中": 3, "中等": 3, "一般": 3, "适中": 3,
    "较难": 4,
    "难": 5, "困难": 5, "很难": 5,
}

# Answer labels ranked: an explicit 正确答案 beats a plain 答案, which beats a bare letter line.
_ANSWER_RANK = {"正确答案": 3, "标准答案": 3, "参考答案": 2, "答案": 2, "答": 2}
_BARE_RANK = 1
_MAX_EXCERPT = 30


# ---------------------------------------------------------------------------------------------
# Classifying single lines (state-free).

@dataclass
class _Line:
    no: int
    text: str
    kind: str  # blank, heading, numbered, option, label, letters, tf, plain
    data: dict[str, Any] = field(default_factory=dict)


def _clean(text: str) -> str:
    return text.replace("\ufeff", "").replace("\u200b", "").replace("\u200c", "").replace("\u200d", "").strip()


def _number(token: str) -> int:
    try:
        return int(fold(token))
    except ValueError:
        return -1


def _split_options(text: str) -> list[tuple[str, str]] | None:
    """'A.xx   B.yy' -> [('A','xx'), ('B','yy')]; None when the line does not start with an option."""
    first = _OPTION_START.match(text)
    if not first:
        return None
    letter = fold(first.group("pl") or first.group("l"))
    marks: list[tuple[int, int, str]] = [(first.start(), first.end(), letter)]
    expected = OPTION_KEYS.index(letter) + 1
    for m in _OPTION_INLINE.finditer(text, first.end()):
        if expected >= len(OPTION_KEYS):
            break
        if m.start() < marks[-1][1]:
            continue
        found = fold(m.group("pl") or m.group("l"))
        if found == OPTION_KEYS[expected]:
            marks.append((m.start(), m.end(), found))
            expected += 1
    options = []
    for i, (_start, end, found) in enumerate(marks):
        stop = marks[i + 1][0] if i + 1 < len(marks) else len(text)
        options.append((found, text[end:stop].strip()))
    return options


def _heading(text: str) -> dict[str, Any] | None:
    prefix = _HEADING_PREFIX.match(text)
    body = text[prefix.end():] if prefix else text
    m = _HEADING_WORD.match(body)
    if m and _HEADING_REST.match(m.group("rest")):
        word = fold(m.group("word")).rstrip(":：")
        qtype: str | None = None
        known = word in _EXTRA_TYPE_WORDS
        if not known:
            try:
                qtype = parse_question_type(word)
                known = True
            except BankError:
                known = False
        if known:
            points = _HEADING_POINTS.search(m.group("rest"))
            return {"type": qtype, "points": _to_float(points.group("p")) if points else None, "category": None}
    if prefix and body and len(body) <= _MAX_EXCERPT and not BLANK_PATTERN.search(body) \
            and not re.search(r"[?？]", body) and not _OPTION_START.match(body):
        return {"type": None, "points": None, "category": body.strip(), "category_only": True}
    return None


def _labels(text: str) -> list[tuple[str, str, str]]:
    """'正确答案: B  我的答案: C' -> [('answer', '正确答案', 'B'), ('ignore', '我的答案', 'C')]; [] if no label."""
    m = _LABEL.match(text)
    if not m:
        return []
    word = m.group("bw") or m.group("cw") or m.group("sw")
    if m.group("sw") is not None and word not in _SPACE_LABELS:
        return []
    segments = [(word, m.start("value"))]
    cuts = []
    for inner in _INLINE_LABEL.finditer(text, m.start("value")):
        cuts.append(inner.start())
        segments.append((inner.group("bw") or inner.group("cw"), inner.end()))
    cuts.append(len(text))
    return [(_LABELS[w], w, text[start:stop].strip()) for (w, start), stop in zip(segments, cuts)]


def _classify(no: int, raw: str) -> _Line:
    text = _clean(raw)
    if not text:
        return _Line(no, text, "blank")
    labels = _labels(text)
    if labels:
        return _Line(no, text, "label", {"labels": labels})
    folded = fold(text)
    if _BARE_LETTERS.match(folded.rstrip("。")):
        return _Line(no, text, "letters", {"value": folded.rstrip("。")})
    if folded.strip("。.") in _TF_BARE:
        return _Line(no, text, "tf", {"value": folded.strip("。.")})
    options = _split_options(text)
    if options is not None:
        # 'D.丁    答案：C': an answer typed at the end of the last option line.
        labels: list[tuple[str, str, str]] = []
        tail = _INLINE_LABEL.search(options[-1][1])
        if tail:
            labels = _labels(options[-1][1][tail.start():])
            options[-1] = (options[-1][0], options[-1][1][:tail.start()].strip())
        return _Line(no, text, "option", {"options": options, "labels": labels})
    n = _NUMBERED.match(text)
    if n:
        family = "di" if n.group("di") else "paren" if (n.group("paren") or n.group("half")) else "dot"
        token = n.group("di") or n.group("paren") or n.group("half") or n.group("dot")
        data = {"number": _number(token), "family": family, "rest": n.group("rest").strip()}
        return _Line(no, text, "numbered", data)
    h = _heading(text)
    if h is not None:
        return _Line(no, text, "heading", h)
    return _Line(no, text, "plain")


# ---------------------------------------------------------------------------------------------
# Grouping lines into questions.

@dataclass
class _Block:
    line: int
    numbered: bool
    family: str | None = None
    stem: list[tuple[int, str]] = field(default_factory=list)
    options: list[list[Any]] = field(default_factory=list)  # [letter, text, line, wrapped lines]
    answer: str | None = None
    answer_rank: int = 0
    answer_line: int | None = None
    answer_free: bool = False  # the answer may continue over the next lines
    answer_more: list[str] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)
    points: float | None = None
    difficulty: str | None = None
    difficulty_line: int | None = None
    knowledge: list[str] = field(default_factory=list)
    source: str = ""
    subject: str = ""
    type_tag: str | None = None
    section_type: str | None = None
    section_points: float | None = None
    category: str = ""
    orphan: bool = False  # options without a stem, or a question whose options are out of order
    flagged: bool = False  # a problem was reported on one of its lines
    had_meta: bool = False
    numbered_continuation: bool = False
    stem_letter_key: bool = False  # the stem holds a bracket such as （B）
    stem_tf_key: bool = False  # … or （√）

    def add_stem(self, no: int, text: str) -> None:
        self.stem.append((no, text))
        self.stem_letter_key = self.stem_letter_key or bool(_BRACKET_LETTERS.search(text))
        self.stem_tf_key = self.stem_tf_key or bool(_BRACKET_TF.search(text))


def _to_float(token: str) -> float | None:
    m = re.search(r"\d+(?:\.\d+)?", fold(token))
    if not m:
        return None
    try:
        return float(m.group(0))
    except ValueError:  # pragma: no cover - the pattern only matches numbers
        return None


def _join_parts(parts: list[str]) -> str:
    """Join wrapped lines: no space between CJK characters, one space between ASCII words."""
    out: list[str] = []
    for part in parts:
        if not part:
            continue
        if out and out[-1][-1].isascii() and part[0].isascii():
            out.append(" ")
        out.append(part)
    return "".join(out)


class _Reader:
    def __init__(self, lines: list[_Line], format_name: str) -> None:
        self.lines = lines
        self.result = ParseResult(format=format_name)
        self.blocks: list[_Block] = []
        self.cur: _Block | None = None
        self.phase = ""  # stem, options, answer, explanation, meta
        self.section_type: str | None = None
        self.section_points: float | None = None
        self.category = ""
        self.last_number = 0
        self.last_family: str | None = None
        # Index of the next non-blank line, for one-line lookahead.
        self.next_line = [len(lines)] * len(lines)
        following = len(lines)
        for i in range(len(lines) - 1, -1, -1):
            self.next_line[i] = following
            if lines[i].kind != "blank":
                following = i

    # -- helpers
    def _peek(self, i: int) -> _Line | None:
        j = self.next_line[i]
        return self.lines[j] if j < len(self.lines) else None

    def _body_follows(self, i: int) -> bool:
        """Is line i directly followed by a question body (options or an answer line)?"""
        nxt = self._peek(i)
        if nxt is None:
            return False
        if nxt.kind == "option":
            return True
        return nxt.kind == "label" and any(label == "answer" for label, _, _ in nxt.data["labels"])

    def _options_restart_after(self, i: int) -> bool:
        nxt = self._peek(i)
        return nxt is not None and nxt.kind == "option" and nxt.data["options"][0][0] == "A"

    def _close(self) -> None:
        cur = self.cur
        if cur is not None:
            for option in cur.options:  # joined once here: a long run of wrapped lines stays linear
                if option[3]:
                    option[1] = _join_parts([option[1], *option[3]])
            if cur.answer_more:
                cur.answer = "\n".join([cur.answer, *cur.answer_more] if cur.answer else cur.answer_more)
            self.blocks.append(cur)
        self.cur = None
        self.phase = ""

    def _open(self, line: _Line, stem: str, numbered: bool, family: str | None = None) -> _Block:
        self._close()
        block = _Block(line=line.no, numbered=numbered, family=family, section_type=self.section_type,
                       section_points=self.section_points, category=self.category)
        if stem:
            tag = _TYPE_TAG.match(stem)
            if tag:
                word = fold(tag.group("word"))
                if word in QUESTION_TYPE_WORDS:
                    block.type_tag = QUESTION_TYPE_WORDS[word]
                    if tag.group("points"):
                        block.points = _to_float(tag.group("points"))
                    stem = stem[tag.end():].strip()
            if stem:
                block.add_stem(line.no, stem)
        self.cur = block
        self.phase = "stem"
        return block

    def _problem(self, line: int | None, template: str, **params: Any) -> None:
        """A problem in the current question's lines: the question is reported and left out of drafts."""
        self.result.problems.append(Problem(line, Message(template, params)))
        if self.cur is not None:
            self.cur.flagged = True

    def _continue(self, text: str, no: int) -> None:
        """Append a plain line to whatever part of the current question is open."""
        cur = self.cur
        assert cur is not None
        if self.phase == "stem":
            cur.add_stem(no, text)
        elif self.phase == "options" and cur.options:
            cur.options[-1][3].append(text)
        elif self.phase == "answer":
            cur.answer_more.append(text)
        elif self.phase == "explanation":
            cur.explanation.append(text)

    # -- the walk
    def run(self) -> None:
        saw_blank = False
        for i, line in enumerate(self.lines):
            if line.kind == "blank":
                saw_blank = True
                continue
            kind = line.kind
            if kind == "letters" and not (self.cur is not None and (
                    (self.phase == "options" and self.cur.answer_rank < _BARE_RANK)
                    or (self.phase == "answer" and self.cur.options and not self.cur.answer))):
                kind = "plain"
            if kind == "tf" and not (self.cur is not None and self.phase in ("stem", "options")
                                     and self.cur.answer_rank < _BARE_RANK
                                     and (self.phase == "options" or self.cur.stem)):
                kind = "plain"
            if kind == "heading" and line.data.get("category_only") and self.cur is not None and (
                    (self.phase in ("answer", "explanation") and (self.phase == "explanation" or self.cur.answer_free))
                    or (self.phase == "stem" and self.cur.numbered)):
                kind = "plain"  # 一、… items inside a stem, a long reference answer or an explanation
            getattr(self, f"_on_{kind}")(i, line, saw_blank)
            saw_blank = False
        self._close()

    def _on_heading(self, i: int, line: _Line, saw_blank: bool) -> None:
        self._close()
        if line.data.get("category_only"):
            self.category = line.data["category"]
        else:
            self.section_type = line.data["type"]
            self.section_points = line.data["points"]
        self.last_number, self.last_family = 0, None

    def _on_numbered(self, i: int, line: _Line, saw_blank: bool) -> None:
        d = line.data
        cur = self.cur
        new = True
        if cur is not None:
            if self.phase == "stem" and cur.numbered and d["family"] != cur.family:
                new = False  # (1) (2) items inside a stem numbered 1. 2.
            elif self.phase == "explanation" or (self.phase == "answer" and cur.answer_free):
                next_in_turn = d["family"] == self.last_family and d["number"] == self.last_number + 1 \
                    and not cur.numbered_continuation
                new = next_in_turn or self._body_follows(i)
        if not new:
            assert cur is not None
            if d["family"] == self.last_family:
                cur.numbered_continuation = True
            self._continue(line.text, line.no)
            return
        self._open(line, d["rest"], numbered=True, family=d["family"])
        self.last_number, self.last_family = d["number"], d["family"]

    def _on_plain(self, i: int, line: _Line, saw_blank: bool) -> None:
        cur = self.cur
        text = line.text
        if cur is None:
            self._open(line, text, numbered=False)
            return
        phase = self.phase
        if phase == "stem":
            # An unnumbered stem ends at a blank line, or once it holds its own 对/错 key: 甲（√）\n乙（×）.
            if not cur.numbered and (saw_blank or cur.stem_tf_key):
                self._open(line, text, numbered=False)
            else:
                self._continue(text, line.no)
        elif phase == "options":
            has_key = cur.answer is not None or cur.stem_letter_key
            if saw_blank or self._options_restart_after(i) or (has_key and self._body_follows(i)):
                self._open(line, text, numbered=False)
            else:
                self._continue(text, line.no)
        elif phase in ("answer", "explanation") and (phase == "explanation" or cur.answer_free):
            if saw_blank or self._body_follows(i):
                self._open(line, text, numbered=False)
            else:
                self._continue(text, line.no)
        else:
            self._open(line, text, numbered=False)

    def _on_option(self, i: int, line: _Line, saw_blank: bool) -> None:
        options = line.data["options"]
        cur = self.cur
        restart = self.phase == "options" and options[0][0] == "A"
        if cur is None or self.phase in ("answer", "explanation", "meta") or restart:
            # Options that follow a finished question, or a second A, B, … run: no stem of their own.
            self._close()
            cur = self.cur = _Block(line=line.no, numbered=False, orphan=True)
            self._problem(line.no, N_("选项前没有题干：“%(text)s”"), text=_excerpt(line.text))
        for letter, text in options:
            position = len(cur.options)
            if position >= len(OPTION_KEYS) or letter != OPTION_KEYS[position]:
                if not cur.orphan:
                    self._problem(line.no, N_("选项字母顺序不对：这里应是 %(expected)s，实为 %(found)s"),
                                  expected=OPTION_KEYS[position] if position < len(OPTION_KEYS) else "—",
                                  found=letter)
                cur.orphan = True  # reported once; the question is left out
                continue
            cur.options.append([letter, text, line.no, []])
        self.phase = "options"
        for label, word, value in line.data["labels"]:
            self._apply_label(line, label, word, value)

    def _set_answer(self, value: str, rank: int, line_no: int, free: bool) -> None:
        cur = self.cur
        assert cur is not None
        if not cur.answer or rank > cur.answer_rank:
            cur.answer, cur.answer_rank, cur.answer_line = value, rank, line_no
            cur.answer_more = []
            cur.answer_free = free
        self.phase = "answer"

    def _on_letters(self, i: int, line: _Line, saw_blank: bool) -> None:
        self._set_answer(line.data["value"], _BARE_RANK, line.no, free=False)

    def _on_tf(self, i: int, line: _Line, saw_blank: bool) -> None:
        self._set_answer(line.data["value"], _BARE_RANK, line.no, free=False)

    def _on_label(self, i: int, line: _Line, saw_blank: bool) -> None:
        for label, word, value in line.data["labels"]:
            self._apply_label(line, label, word, value)

    def _apply_label(self, line: _Line, label: str, word: str, value: str) -> None:
        cur = self.cur
        if label == "ignore":
            if cur is not None and self.phase != "stem":
                self.phase = "meta"
            return
        if cur is None:
            self._problem(line.no, N_("“%(word)s”这一行前面没有题目"), word=word)
            return
        if cur.orphan:
            self.phase = "meta"
            return
        if label == "answer":
            # Free text (a reference answer) may go on over the next lines; a letter or 对/错 may not.
            free = not cur.options and fold(value).strip().rstrip("。.").upper() not in _TF_INFER
            self._set_answer(value, _ANSWER_RANK.get(word, 2), line.no, free=free)
            return
        if label == "explanation":
            if value:
                cur.explanation.append(value)
            self.phase = "explanation"
            return
        cur.had_meta = True
        self.phase = "meta"
        if label == "points":
            if value:
                cur.points = _to_float(value)
                if cur.points is None:
                    self._problem(line.no, N_("分值“%(raw)s”不是数字"), raw=_excerpt(value))
        elif label == "difficulty":
            if value:
                cur.difficulty, cur.difficulty_line = value, line.no
        elif label == "knowledge":
            cur.knowledge.extend(p.strip() for p in re.split(r"[；;、,，]", value) if p.strip())
        elif label == "source":
            cur.source = value
        elif label == "subject":
            cur.subject = value
        elif label == "type" and value:
            try:
                cur.type_tag = parse_question_type(value)
            except BankError as exc:
                self._problem(line.no, exc.message.template, **exc.message.params)


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_EXCERPT else text[:_MAX_EXCERPT] + "…"


def _parse_difficulty(raw: str) -> int | None:
    text = fold(raw).strip().rstrip("。.")
    if text.isdigit() and 1 <= int(text) <= 5:
        return int(text)
    if text and set(text) <= {"★", "☆"} and 1 <= text.count("★") <= 5:
        return text.count("★")
    return _DIFFICULTY_WORDS.get(text)


def _split_fill(raw: str, blanks: int) -> list[list[str]]:
    text = raw.strip()
    if "|" in text or "｜" in text or blanks < 2:
        return parse_fill_answers(text)
    for separator in (r"\s+", r"[、]", r"[；;]", r"[，,]"):
        parts = [p for p in re.split(separator, text) if p.strip()]
        if len(parts) == blanks:
            return parse_fill_answers("|".join(parts))
    return parse_fill_answers(text)


class _Finisher:
    """Checks one block and turns it into a draft, collecting problems on the result."""

    def __init__(self, result: ParseResult) -> None:
        self.result = result

    def problem(self, line: int | None, template: str, **params: Any) -> None:
        self.result.problems.append(Problem(line, Message(template, params)))

    def finish(self, block: _Block) -> None:
        if block.orphan:
            return
        errors_before = len(self.result.problems)
        # A stem line that only repeats one of the options (a leftover while typing) is dropped.
        stem_lines: list[str] = []
        option_texts = {fold(o[1]).strip(): o[0] for o in block.options if o[1]}
        for n, (no, text) in enumerate(block.stem):
            letter = option_texts.get(fold(text).strip()) if n > 0 else None
            if letter is not None:
                self.result.skipped.append(Skipped(
                    no, "repeated_line",
                    Message(N_("题干中的“%(text)s”与选项 %(letter)s 相同，已作为多余的行忽略"),
                            {"text": _excerpt(text), "letter": letter})))
                continue
            stem_lines.append(text)
        stem = "\n".join(stem_lines).strip()
        has_body = bool(block.options or block.answer is not None or block.explanation or block.had_meta)
        letter_brackets = list(_BRACKET_LETTERS.finditer(stem))
        tf_brackets = list(_BRACKET_TF.finditer(stem))
        if not block.numbered and not has_body and not tf_brackets:
            self.result.skipped.append(Skipped(
                block.line, "text", Message(N_("这段文字不是题目，已忽略：“%(text)s”"), {"text": _excerpt(stem)})))
            return
        if not stem:
            self.problem(block.line, N_("题目没有题干"))
            return
        qtype = block.type_tag or block.section_type
        explicit = block.answer.strip() if block.answer is not None else None
        if explicit == "":
            explicit = None
        draft = QuestionDraft(type="single", stem=stem, line=block.line, category=block.category,
                              explanation="\n".join(block.explanation).strip(), subject=block.subject,
                              knowledge_points=block.knowledge, source=block.source)
        draft.points = block.points if block.points is not None else block.section_points
        if block.difficulty is not None:
            level = _parse_difficulty(block.difficulty)
            if level is None:
                self.problem(block.difficulty_line, N_("难度“%(raw)s”无法识别，请填写 1–5 或 易/中/难"),
                             raw=_excerpt(block.difficulty))
            else:
                draft.difficulty = level
        if block.options and qtype != "true_false":
            self._choice(block, draft, qtype, explicit, letter_brackets)
        else:
            self._no_options(block, draft, qtype, explicit, letter_brackets, tf_brackets)
        if len(self.result.problems) == errors_before and not block.flagged:
            self.result.drafts.append(draft)

    def _blank_out(self, draft: QuestionDraft, match: re.Match[str]) -> None:
        draft.stem = draft.stem[:match.start()] + EMPTY_BLANK + draft.stem[match.end():]

    def _choice(self, block: _Block, draft: QuestionDraft, qtype: str | None, explicit: str | None,
                brackets: list[re.Match[str]]) -> None:
        line = block.line
        draft.options = [o[1] for o in block.options]
        for letter, text, no, _ in block.options:
            if not text:
                self.problem(no, N_("选项 %(letter)s 没有内容"), letter=letter)
        if len(block.options) < 2:
            self.problem(line, N_("选择题至少要有 2 个选项，本题只有 %(n)d 个"), n=len(block.options))
        key = explicit
        if len(brackets) == 1:
            bracket_key = brackets[0].group("key")
            self._blank_out(draft, brackets[0])
            if key is None:
                key = bracket_key
            else:
                try:
                    if parse_choice_letters(bracket_key) != parse_choice_letters(key):
                        self.problem(line, N_("题干括号中的答案“%(bracket)s”与答案行“%(answer)s”不一致"),
                                     bracket=bracket_key.strip(), answer=key)
                except BankError:
                    pass  # the answer line itself is checked below
        elif len(brackets) > 1 and key is None:
            self.problem(line, N_("题干中有 %(n)d 处括号里写着字母，无法确定哪一处是答案"), n=len(brackets))
            return
        if key is None:
            self.problem(line, N_("选择题缺少答案"))
            return
        try:
            letters = parse_choice_letters(key.rstrip("。.．"))
        except BankError as exc:
            texts = {fold(o[1]).strip(): o[0] for o in block.options if o[1]}
            matched = texts.get(fold(key).strip().rstrip("。."))
            if matched is None:
                self.problem(block.answer_line or line, exc.message.template, **exc.message.params)
                return
            letters = [matched]
        try:
            parse_choice_letters("".join(letters), option_count=len(block.options))
        except BankError as exc:
            # A key naming an option that is not printed: reported on the question's line.
            self.problem(line, exc.message.template, **{**exc.message.params, "raw": key})
            return
        if qtype == "single" and len(letters) > 1:
            self.problem(line, N_("单选题只能有一个答案，这里是“%(raw)s”"), raw=key)
            return
        if qtype in ("single", "multiple"):
            draft.type = qtype
        else:
            draft.type = "single" if len(letters) == 1 else "multiple"
        draft.answer = letters[0] if draft.type == "single" else letters

    def _no_options(self, block: _Block, draft: QuestionDraft, qtype: str | None, explicit: str | None,
                    letter_brackets: list[re.Match[str]], tf_brackets: list[re.Match[str]]) -> None:
        line = block.line
        if qtype in ("single", "multiple"):
            self.problem(line, N_("选择题至少要有 2 个选项，本题只有 %(n)d 个"), n=0)
            return
        key = explicit
        if qtype == "true_false" and block.options:
            # 判断题 typed as A.正确 B.错误 with a letter key.
            if key is None and len(letter_brackets) == 1:
                key = letter_brackets[0].group("key")
                self._blank_out(draft, letter_brackets[0])
            if key is not None:
                texts = {o[0]: o[1] for o in block.options}
                letters = fold(key).strip().upper()
                if letters in texts and fold(texts[letters]).strip().rstrip("。.") in _TF_INFER | {"是", "否"}:
                    key = texts[letters]
        if len(tf_brackets) == 1 and qtype in (None, "true_false"):
            bracket_key = tf_brackets[0].group("key")
            self._blank_out(draft, tf_brackets[0])
            if key is None:
                key = bracket_key
            elif _tf_or_none(key) is not None and _tf_or_none(key) != _tf_or_none(bracket_key):
                self.problem(line, N_("题干括号中的答案“%(bracket)s”与答案行“%(answer)s”不一致"),
                             bracket=bracket_key, answer=key)
                return
        if qtype is None:
            if key is None:
                self.problem(line, N_("缺少答案"))
                return
            if fold(key).strip().rstrip("。.").upper() in _TF_INFER:
                qtype = "true_false"
            elif _BARE_LETTERS.match(fold(key).strip()):
                self.problem(line, N_("答案“%(raw)s”是选项字母，但本题没有选项"), raw=key)
                return
            elif count_blanks(draft.stem):
                qtype = "fill_blank"
            elif (asks := _ASKS_FOR_OPTION.search(draft.stem)) and len(key) <= _SHORT_KEY:
                # "以下哪项…？" with a short key and no options: the options were lost (a dump kept
                # only stem and key), and as a 简答 it would ask for a reply no one could write.
                self.problem(line, N_("题干要求从选项中选择（“%(phrase)s”），但本题没有选项；请补上选项，或改成填空题"),
                             phrase=asks.group(0))
                return
            else:
                qtype = "short_answer"
        draft.type = qtype
        if key is None:
            self.problem(line, N_("缺少答案"))
            return
        try:
            if qtype == "true_false":
                draft.answer = parse_true_false(key)
            elif qtype == "fill_blank":
                blanks = count_blanks(draft.stem)
                if blanks == 0:
                    self.problem(line, N_("填空题的题干中没有空（请用（ ）、___ 或【】标出）"))
                    return
                answers = _split_fill(key, blanks)
                if len(answers) != blanks:
                    self.problem(line, N_("填空题有 %(blanks)d 个空，答案却有 %(answers)d 个（多个空的答案请用 | 分隔）"),
                                 blanks=blanks, answers=len(answers))
                    return
                draft.answer = answers
            else:
                draft.answer = {"reference": key, "keywords": []}
        except BankError as exc:
            self.problem(block.answer_line or line, exc.message.template, **exc.message.params)


def _tf_or_none(raw: str) -> bool | None:
    try:
        return parse_true_false(raw)
    except BankError:
        return None


def finish_record(result: ParseResult, line: int, stem: str, options: list[str], answer: str | None, *,
                  type_word: str | None = None, explanation: str = "", points: str | None = None,
                  difficulty: str | None = None, knowledge: str = "", source: str = "", subject: str = "") -> None:
    """Check one question given field by field (a record of a JSON dump, not typed lines) by this
    layout's rules for keys, types and blanks; append its draft, or its problems on ``line``, to ``result``.

    The stem is taken as it is (a record's stem has no number or option lines to take apart); a
    key in brackets inside it still counts, as in a typed bank.
    """
    block = _Block(line=line, numbered=True, answer=answer, answer_line=line, had_meta=True)
    for text in stem.split("\n"):
        if text.strip():
            block.add_stem(line, text.strip())
    block.options = [[OPTION_KEYS[i], text.strip(), line, []] for i, text in enumerate(options)]
    if explanation.strip():
        block.explanation.append(explanation.strip())
    if points not in (None, ""):
        block.points = _to_float(str(points))
        if block.points is None:
            result.problems.append(Problem(line, Message(N_("分值“%(raw)s”不是数字"), {"raw": _excerpt(str(points))})))
            block.flagged = True
    if difficulty not in (None, ""):
        block.difficulty, block.difficulty_line = str(difficulty), line
    block.knowledge = [p.strip() for p in re.split(r"[；;、,，]", knowledge) if p.strip()]
    block.source, block.subject = source.strip(), subject.strip()
    if type_word:
        try:
            block.type_tag = parse_question_type(type_word)
        except BankError as exc:
            result.problems.append(Problem(line, exc.message))
            block.flagged = True
    _Finisher(result).finish(block)


def parse_lines(lines: list[tuple[int, str]], format_name: str) -> ParseResult:
    """Read ``(line number, text)`` pairs in the Word layout; see the module docstring for the rules."""
    classified = [_classify(no, text) for no, text in lines]
    reader = _Reader(classified, format_name)
    reader.run()
    finisher = _Finisher(reader.result)
    for block in reader.blocks:
        finisher.finish(block)
    # Problems in line order, as the preview lists them.
    reader.result.problems.sort(key=lambda p: (p.line is None, p.line or 0))
    return reader.result


def text_lines(text: str) -> list[tuple[int, str]]:
    """Split decoded text into numbered lines (1-based); leading BOMs and CR/CRLF are handled."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return list(enumerate(text.split("\n"), start=1))
