"""Moodle XML (``<quiz><question type="…">…</quiz>``): read Moodle's export, write a file Moodle imports.

Mapping, Moodle type → bank type:
- ``multichoice`` with ``<single>true</single>`` and one answer worth 100 % → ``single``; with several
  100 % answers, or ``<single>false</single>`` → ``multiple`` (the correct options are those with a
  positive fraction). Partial credit on a single-answer question is dropped: only the 100 % answer counts.
- ``truefalse`` → ``true_false``; ``shortanswer`` → ``fill_blank`` with one blank whose alternatives are
  the answers worth 100 % (a ``（ ）`` is appended to a stem that has no blank);
  ``cloze`` made only of SHORTANSWER sub-questions → ``fill_blank`` with one blank per sub-question
  (that is how multi-blank fill-ins are written); ``essay`` → ``short_answer`` (``<graderinfo>`` is the
  reference answer).
- ``<question type="category">`` sets ``draft.category`` for the questions after it (the ``$course$/``
  context and a leading ``top/`` are dropped); ``<generalfeedback>`` → explanation; ``<tags>`` ↔
  knowledge points.
- ``description`` and every type the bank lacks (matching, numerical, other cloze, calculated, ddwtos,
  gapselect, random, …) become ``Skipped`` with a reason, never silently dropped.
- Moodle refuses fractions that are not in its grade list (e.g. ``33`` for ``33.33333``); so do we.

Safety: parsed only with defusedxml's SAX parser, with DTDs, entity declarations and external
references forbidden, so XXE and entity-expansion ("billion laughs") files are refused with a Problem.
Text in HTML is turned into plain text (tags dropped, ``<br>``/paragraphs → new lines, images →
``[图片]``); nothing of the HTML is kept.

Writing uses ``plain_text`` for every text so that what we write is read back exactly.
``sniff`` scale (shared by the Moodle formats): 0 not mine, ~20 maybe, ~60 likely, 90+ unmistakable.
"""
from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET  # building output only; input is parsed with defusedxml
from html import unescape
from html.parser import HTMLParser
from xml.sax import SAXException
from xml.sax.handler import ContentHandler

from defusedxml import DefusedXmlException, DTDForbidden
from defusedxml import sax as defused_sax

from question_bank.answers import BLANK_PATTERN, count_blanks, parse_true_false
from question_bank.drafts import OPTION_KEYS, ParseResult, Problem, QuestionDraft, Skipped
from question_bank.messages import BankError, Message, N_

NAME = "moodle_xml"
LABEL = "Moodle XML"
EXTENSIONS = (".xml",)

BLANK = "（ ）"
FULL_CREDIT = 99.999  # percent; Moodle compares fractions to within 0.00001
# question_bank::fraction_options_full(), in percent; negatives are allowed too.
MOODLE_GRADES = (100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, 25, 20, 16.66667,
                 14.28571, 12.5, 11.11111, 10, 5, 0)
KEYWORDS_PREFIX = "关键词："  # last line of <graderinfo> we write: 关键词：[["要点", "同义词"], ...]
_CLOZE_SHORTANSWER = {"SHORTANSWER", "SA", "MW", "SHORTANSWER_C", "SAC", "MWC"}
_CLOZE = re.compile(r"\{(\d*):([A-Za-z_]+):((?:\\.|[^\\}])*)\}", re.S)
GAP = "\ufdd9"  # marks a blank while the stem is turned into text: a Unicode noncharacter, never in real text
_NONCHARACTERS = re.compile("[\ufdd0-\ufdef]")

# Reasons for skipping, by Moodle type name.
SKIP_REASONS = {
    "description": N_("说明文字（description）不是题目，已跳过"),
    "matching": N_("匹配题（matching）本题库不支持，已跳过"),
    "match": N_("匹配题（matching）本题库不支持，已跳过"),
    "numerical": N_("数值题（numerical）本题库不支持，已跳过"),
    "cloze": N_("嵌入式答案（Cloze）题中含有选择、数值等子题，本题库不支持，已跳过；只含 SHORTANSWER 子题的才作为填空题导入"),
    "multianswer": N_("嵌入式答案（Cloze）题中含有选择、数值等子题，本题库不支持，已跳过；只含 SHORTANSWER 子题的才作为填空题导入"),
    "empty_cloze": N_("嵌入式答案（Cloze）题中没有任何子题 {1:…}，不是有效的题目，已跳过"),
    "calculated": N_("计算题（calculated）本题库不支持，已跳过"),
    "calculatedsimple": N_("简单计算题（calculatedsimple）本题库不支持，已跳过"),
    "calculatedmulti": N_("计算型选择题（calculatedmulti）本题库不支持，已跳过"),
    "ddwtos": N_("拖放文字题（ddwtos）本题库不支持，已跳过"),
    "gapselect": N_("下拉选词题（gapselect）本题库不支持，已跳过"),
    "ddimageortext": N_("图片拖放题（ddimageortext）本题库不支持，已跳过"),
    "ddmarker": N_("拖放标记题（ddmarker）本题库不支持，已跳过"),
    "randomsamatch": N_("随机简答匹配题（randomsamatch）本题库不支持，已跳过"),
    "random": N_("随机题（random）只是从题库抽题的占位，不是题目，已跳过"),
    "ordering": N_("排序题（ordering）本题库不支持，已跳过"),
}
UNKNOWN_TYPE_REASON = N_("题型“%(kind)s”本题库不支持，已跳过")


def skipped(line: int | None, kind: str) -> Skipped:
    template = SKIP_REASONS.get(kind)
    if template is None:
        return Skipped(line, kind, Message(UNKNOWN_TYPE_REASON, {"kind": kind}))
    return Skipped(line, kind, Message(template))


# --- HTML to plain text (shared with the GIFT reader) -------------------------------------------

_BLOCK_TAGS = {"p", "div", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
               "blockquote", "pre", "section", "article", "header", "footer", "dl", "dt", "dd", "hr"}
_SKIP_TAGS = {"script", "style", "head", "title", "template"}
_HTML_SPACE = re.compile(r"[ \t\r\n\f]+")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skipping += 1
        elif self.skipping:
            return
        elif tag == "br" or tag in _BLOCK_TAGS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")
        elif tag == "img":
            alt = (dict(attrs).get("alt") or "").strip()
            self.parts.append(f"[图片：{alt}]" if alt else "[图片]")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif not self.skipping and tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(_HTML_SPACE.sub(" ", data))


def _tidy_lines(text: str) -> str:
    lines = [line.strip() for line in text.replace("\xa0", " ").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(text: str, fmt: str = "html") -> str:
    """Plain text of a Moodle text field. ``fmt``: html, moodle_auto_format/moodle, plain_text/plain, markdown."""
    text = text or ""
    if fmt in ("plain_text", "plain", "markdown") or ("<" not in text and "&" not in text):
        return text.strip()
    if fmt in ("moodle_auto_format", "moodle"):
        text = text.replace("\n", "<br>")  # Moodle's auto-format keeps line breaks
    extractor = _TextExtractor()
    try:
        extractor.feed(text)
        extractor.close()
        plain = "".join(extractor.parts)
    except Exception:  # noqa: BLE001 - html.parser on hostile input; fall back to a crude strip
        plain = unescape(_HTML_SPACE.sub(" ", re.sub(r"<br\s*/?>", "\n", text, flags=re.I)))
        plain = re.sub(r"<[^>]*>", "", plain)
    return _tidy_lines(plain)


# --- small shared helpers -------------------------------------------------------------------------

def question_title(stem: str, index: int, limit: int = 30) -> str:
    """A Moodle question name: the stem's first line, shortened (Moodle does the same)."""
    first = next((line.strip() for line in stem.split("\n") if line.strip()), "")
    if not first:
        return f"第 {index} 题"
    return first if len(first) <= limit else first[:limit] + "…"


def format_weight(percent: float) -> str:
    """100 -> '100', 100/3 -> '33.33333' (Moodle's own precision)."""
    text = f"{percent:.5f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def multiple_weights(count: int) -> str:
    return format_weight(100 / count)


def strip_category_context(path: str) -> str:
    """'$course$/top/Iota/Kappa' -> 'Iota/Kappa'."""
    path = path.strip()
    match = re.match(r"^\$[a-z0-9]*\$/?", path)
    if match:
        path = path[match.end():]
        if path == "top" or path.startswith("top/"):
            path = path[4:]
    return path.strip().strip("/").strip()


def keywords_are_valid(value: object) -> bool:
    return isinstance(value, list) and all(
        isinstance(group, list) and group and all(isinstance(word, str) for word in group) for group in value
    )


def short_answer_key(reference: str, keywords: list | None = None) -> dict:
    return {"reference": reference, "keywords": keywords or []}


def split_keywords_line(text: str) -> tuple[str, list[list[str]]]:
    """Take a trailing '关键词：[…]' line (as we write it) off a reference answer."""
    head, sep, last = text.rpartition("\n")
    candidate = last if sep else text
    if candidate.strip().startswith(KEYWORDS_PREFIX):
        try:
            value = json.loads(candidate.strip()[len(KEYWORDS_PREFIX):])
        except ValueError:
            value = None
        if keywords_are_valid(value) or value == []:
            return (head if sep else "").rstrip(), value
    return text, []


def join_keywords_line(reference: str, keywords: list[list[str]]) -> str:
    """The reverse of ``split_keywords_line``; always exact, even for a reference ending in such a line."""
    if not keywords and split_keywords_line(reference)[0] == reference:
        return reference
    line = KEYWORDS_PREFIX + json.dumps(keywords, ensure_ascii=False)
    return f"{reference}\n{line}" if reference else line


def _problem(line: int | None, template: str, **params: object) -> Problem:
    return Problem(line, Message(template, params))


def no_questions_problem() -> Problem:
    return _problem(None, N_("文件中没有找到任何题目"))


# --- parsing with defusedxml ------------------------------------------------------------------------

class _Node:
    __slots__ = ("tag", "attrs", "line", "children", "parts")

    def __init__(self, tag: str, attrs: dict[str, str], line: int | None) -> None:
        self.tag = tag
        self.attrs = attrs
        self.line = line
        self.children: list[_Node] = []
        self.parts: list[str] = []

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def first(self, tag: str) -> _Node | None:
        return next((c for c in self.children if c.tag == tag), None)

    def all(self, tag: str) -> list[_Node]:
        return [c for c in self.children if c.tag == tag]


class _TreeBuilder(ContentHandler):
    def __init__(self) -> None:
        super().__init__()
        self.root: _Node | None = None
        self.stack: list[_Node] = []
        self.locator = None

    def setDocumentLocator(self, locator) -> None:  # noqa: N802 - SAX API
        self.locator = locator

    def startElement(self, name, attrs) -> None:  # noqa: N802 - SAX API
        line = self.locator.getLineNumber() if self.locator is not None else None
        node = _Node(name, {k: v for k, v in attrs.items()}, line)
        if self.stack:
            self.stack[-1].children.append(node)
        elif self.root is None:
            self.root = node
        self.stack.append(node)

    def endElement(self, name) -> None:  # noqa: N802 - SAX API
        if self.stack:
            self.stack.pop()

    def characters(self, content) -> None:
        if self.stack:
            self.stack[-1].parts.append(content)


class _Refused(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


_BOM = b"\xef\xbb\xbf"
_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]{1,40})[\"']")
_EXPAT_ENCODINGS = {"utf-8", "utf8", "utf-16", "utf16", "us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1"}


def _as_utf8(text: str) -> bytes:
    text = text.lstrip("\ufeff")
    text = re.sub(r"^(\s*<\?xml[^>]*?encoding\s*=\s*[\"'])[^\"']*([\"'])", r"\1UTF-8\2", text, count=1)
    return text.encode("utf-8", errors="replace")


def _expat_ready(data: bytes) -> bytes:
    """Bytes expat can read: extra BOMs dropped; GBK (declared, or mislabelled as UTF-8) turned into UTF-8."""
    while data.startswith(_BOM + _BOM):
        data = data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data
    match = _DECLARATION.match(data[3:] if data.startswith(_BOM) else data)
    declared = match.group(1).decode("ascii").lower() if match else "utf-8"
    if declared in ("utf-8", "utf8"):
        try:
            data.decode("utf-8")
            return data
        except UnicodeDecodeError:
            try:
                return _as_utf8(data.decode("gb18030"))
            except UnicodeDecodeError:
                return data  # expat names the line of the bad bytes
    if declared in _EXPAT_ENCODINGS:
        return data
    try:
        return _as_utf8(data.decode(declared))
    except (LookupError, UnicodeError, ValueError, TypeError):
        raise _Refused(_problem(None, N_("文件声明的编码“%(encoding)s”无法识别，请另存为 UTF-8 后再导入"),
                                encoding=declared)) from None


def _parse(data: bytes) -> _Node:
    builder = _TreeBuilder()
    try:
        defused_sax.parseString(_expat_ready(data), builder, forbid_dtd=True, forbid_entities=True,
                                forbid_external=True)
    except DTDForbidden:
        raise _Refused(_problem(None, N_(
            "文件含有 DTD（<!DOCTYPE …>）或实体声明。为防范 XXE、“十亿笑”（实体膨胀）等 XML 攻击，"
            "这类文件一律拒绝导入；Moodle 导出的 XML 题库不含 DTD，请从 Moodle 重新导出"))) from None
    except DefusedXmlException:
        raise _Refused(_problem(None, N_(
            "文件含有 XML 实体定义或外部引用。为防范 XXE、“十亿笑”（实体膨胀）等 XML 攻击，已拒绝导入"))) from None
    except SAXException as exc:
        line = getattr(exc, "getLineNumber", lambda: None)()
        detail = exc.getMessage() if hasattr(exc, "getMessage") else str(exc)
        raise _Refused(_problem(line if isinstance(line, int) and line > 0 else None,
                                N_("XML 格式错误，文件无法解析（%(detail)s）"), detail=str(detail))) from None
    if builder.root is None:
        raise _Refused(_problem(None, N_("文件是空的，或不是 XML 文件")))
    return builder.root


# --- reading ------------------------------------------------------------------------------------------

def _field_text(node: _Node, tag: str, default_format: str = "moodle_auto_format") -> str:
    element = node.first(tag)
    if element is None:
        return ""
    text = element.first("text")
    raw = text.text if text is not None else ""
    return html_to_text(raw, element.attrs.get("format", default_format))


def _fraction(answer: _Node, problems: list[Problem]) -> float | None:
    raw = answer.attrs.get("fraction", "0").strip() or "0"
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not any(abs(abs(value) - g) < 0.001 for g in MOODLE_GRADES):
        problems.append(_problem(answer.line, N_(
            "答案的得分比例“%(value)s”不是 Moodle 允许的取值（如 100、50、33.33333、25、0、-100）"), value=raw))
        return None
    return value


def _is_true(raw: str) -> bool:
    return raw.strip().lower() not in ("false", "0", "no", "")


class _QuestionReader:
    """Turns one <question> element into a draft, a skip or problems."""

    def __init__(self, node: _Node, category: str) -> None:
        self.node = node
        self.line = node.line
        self.category = category
        self.problems: list[Problem] = []

    def problem(self, template: str, **params: object) -> None:
        self.problems.append(_problem(self.line, template, **params))

    def draft(self, type_: str, stem: str, answer: object, options: list[str] | None = None) -> QuestionDraft:
        tags = [html_to_text(t.first("text").text if t.first("text") is not None else t.text, "plain_text")
                for tags in self.node.all("tags") for t in tags.all("tag")]
        return QuestionDraft(
            type=type_, stem=stem, options=options or [], answer=answer,
            explanation=_field_text(self.node, "generalfeedback"), line=self.line, category=self.category,
            knowledge_points=[t for t in tags if t],
        )

    def stem(self) -> str:
        stem = _field_text(self.node, "questiontext")
        if not stem:
            self.problem(N_("题干为空"))
        return stem

    def answers(self) -> list[tuple[_Node, str, float | None]]:
        result = []
        for answer in self.node.all("answer"):
            text_node = answer.first("text")
            raw = text_node.text if text_node is not None else answer.text
            result.append((answer, raw, _fraction(answer, self.problems)))
        return result

    def multichoice(self) -> QuestionDraft | None:
        stem = self.stem()
        single_node = self.node.first("single")
        single = _is_true(single_node.text) if single_node is not None else True
        answers = self.answers()
        options = [html_to_text(raw, a.attrs.get("format", "html")) for a, raw, _ in answers]
        if len(options) < 2:
            self.problem(N_("选择题至少需要两个选项，这里只有 %(n)d 个"), n=len(options))
        if len(options) > len(OPTION_KEYS):
            self.problem(N_("选项最多 %(max)d 个，这里有 %(n)d 个"), max=len(OPTION_KEYS), n=len(options))
        for i, text in enumerate(options, start=1):
            if not text:
                self.problem(N_("第 %(n)d 个选项为空"), n=i)
        fractions = [f for _, _, f in answers]
        if None in fractions:
            return None
        if single:
            correct = [i for i, f in enumerate(fractions) if f >= FULL_CREDIT]
            if not correct:
                self.problem(N_("单选题没有得分为 100% 的选项"))
        else:
            correct = [i for i, f in enumerate(fractions) if f > 0]
            if not correct:
                self.problem(N_("多选题没有得正分的选项，无法确定正确答案"))
        if self.problems:
            return None
        letters = [OPTION_KEYS[i] for i in correct]
        if single and len(letters) == 1:
            return self.draft("single", stem, letters[0], options)
        return self.draft("multiple", stem, letters, options)

    def truefalse(self) -> QuestionDraft | None:
        stem = self.stem()
        correct: bool | None = None
        for answer, raw, fraction in self.answers():
            try:
                value = parse_true_false(html_to_text(raw, answer.attrs.get("format", "moodle_auto_format")))
            except BankError as exc:
                self.problems.append(Problem(answer.line, exc.message))
                continue
            if fraction is not None and fraction >= FULL_CREDIT:
                correct = value
        if correct is None and not self.problems:
            self.problem(N_("判断题没有得分为 100% 的答案（true 或 false）"))
        if self.problems:
            return None
        return self.draft("true_false", stem, correct)

    def shortanswer(self) -> QuestionDraft | None:
        stem = self.stem()
        alternatives = [raw.strip() for _, raw, f in self.answers() if f is not None and f >= FULL_CREDIT]
        alternatives = [a for a in alternatives if a]
        if not alternatives and not self.problems:
            self.problem(N_("填空题没有得分为 100% 的答案"))
        if self.problems:
            return None
        if count_blanks(stem) == 0:
            stem = f"{stem}{BLANK}"
        return self.draft("fill_blank", stem, [alternatives])

    def essay(self) -> QuestionDraft | None:
        stem = self.stem()
        if self.problems:
            return None
        reference, keywords = split_keywords_line(_field_text(self.node, "graderinfo", "html"))
        return self.draft("short_answer", stem, short_answer_key(reference, keywords))

    def cloze(self) -> QuestionDraft | Skipped | None:
        element = self.node.first("questiontext")
        text_node = element.first("text") if element is not None else None
        raw = _NONCHARACTERS.sub("", text_node.text if text_node is not None else "")
        fmt = element.attrs.get("format", "html") if element is not None else "html"
        matches = list(_CLOZE.finditer(raw))
        if not matches:
            return Skipped(self.line, "cloze", Message(SKIP_REASONS["empty_cloze"]))
        if any(m.group(2).upper() not in _CLOZE_SHORTANSWER for m in matches):
            return skipped(self.line, "cloze")
        blanks = []
        for n, match in enumerate(matches, start=1):
            alternatives = [a for a, weight in parse_cloze_answers(match.group(3), fmt) if weight >= FULL_CREDIT and a]
            if not alternatives:
                self.problem(N_("第 %(n)d 个空没有得分为 100%% 的答案"), n=n)
            blanks.append(alternatives)
        stem = html_to_text(_CLOZE.sub(GAP, raw), fmt).replace(GAP, BLANK)
        if not stem.replace(BLANK, "").strip():
            self.problem(N_("题干为空"))
        if self.problems:
            return None
        return self.draft("fill_blank", stem, blanks)


def _split_unescaped(text: str, separator: str) -> list[str]:
    parts, current, i = [], [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            current.append(text[i:i + 2])
            i += 2
            continue
        if ch == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts


def _cloze_unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text, flags=re.S)


def parse_cloze_answers(body: str, fmt: str) -> list[tuple[str, float]]:
    """'=北京#fb~%50%北平' -> [('北京', 100.0), ('北平', 50.0)]."""
    result = []
    for part in _split_unescaped(body, "~"):
        weight = 0.0
        if part.startswith("="):
            weight, part = 100.0, part[1:]
        else:
            match = re.match(r"^%(-?\d+(?:[.,]\d*)?)%", part)
            if match:
                weight, part = float(match.group(1).replace(",", ".")), part[match.end():]
        text = _split_unescaped(part, "#")[0]
        if fmt not in ("plain_text", "markdown"):
            text = unescape(text)
        result.append((_cloze_unescape(text).strip(), weight))
    return result


def read(data: bytes) -> ParseResult:
    result = ParseResult(format=NAME)
    try:
        root = _parse(data)
    except _Refused as exc:
        result.problems.append(exc.problem)
        return result
    if root.tag != "quiz":
        result.problems.append(_problem(root.line, N_("这不是 Moodle XML 题库：根元素应为 <quiz>，这里是 <%(tag)s>"),
                                        tag=root.tag))
        return result
    category = ""
    for node in root.all("question"):
        kind = node.attrs.get("type", "").strip()
        if kind == "category":
            category = strip_category_context(_field_text(node, "category", "plain_text"))
            continue
        reader = _QuestionReader(node, category)
        method = {"multichoice": reader.multichoice, "truefalse": reader.truefalse,
                  "shortanswer": reader.shortanswer, "essay": reader.essay, "cloze": reader.cloze,
                  "multianswer": reader.cloze}.get(kind)
        if not kind:
            result.problems.append(_problem(node.line, N_("<question> 缺少 type 属性，无法判断题型")))
            continue
        if method is None:
            result.skipped.append(skipped(node.line, kind))
            continue
        outcome = method()
        result.problems.extend(reader.problems)
        if isinstance(outcome, Skipped):
            result.skipped.append(outcome)
        elif outcome is not None:
            result.drafts.append(outcome)
    if not result.drafts and not result.skipped and not result.problems:
        result.problems.append(no_questions_problem())
    return result


# --- sniffing -----------------------------------------------------------------------------------------

def sniff(data: bytes) -> int:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            head = head.decode("utf-16", errors="ignore").encode("utf-8")
        except UnicodeError:
            return 0
    if not head.startswith(b"<"):
        return 0
    if re.search(rb"<quiz(\s[^>]*)?>", head):
        return 95 if b"<question" in head or len(data) < 4096 else 90
    if re.search(rb"<question\s+type=", head):
        return 60
    return 0


# --- writing ------------------------------------------------------------------------------------------

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _clean(text: str) -> str:
    return _XML_INVALID.sub("", str(text).replace("\r\n", "\n").replace("\r", "\n"))


def _text_element(parent: ET.Element, tag: str, text: str, fmt: str | None = "plain_text") -> ET.Element:
    element = ET.SubElement(parent, tag, {"format": fmt} if fmt else {})
    ET.SubElement(element, "text").text = _clean(text)
    return element


def _simple(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, tag).text = text


def _answer(parent: ET.Element, fraction: str, text: str, fmt: str = "plain_text") -> None:
    answer = ET.SubElement(parent, "answer", {"fraction": fraction, "format": fmt})
    ET.SubElement(answer, "text").text = _clean(text)
    _text_element(answer, "feedback", "", "html")


def cloze_escape(text: str) -> str:
    return re.sub(r'([\\}#~/"])', r"\\\1", text)


def _cloze_text(stem: str, blanks: list[list[str]]) -> str:
    subquestions = ["{1:SHORTANSWER:" + "~".join("=" + cloze_escape(a) for a in alts) + "}" for alts in blanks]
    pieces = BLANK_PATTERN.split(stem)
    out = [pieces[0]]
    for i, piece in enumerate(pieces[1:]):
        out.append(subquestions[i] if i < len(subquestions) else BLANK)
        out.append(piece)
    out.extend(subquestions[len(pieces) - 1:])
    return "".join(out)


def _bad_draft(index: int, draft: QuestionDraft, why: str) -> BankError:
    return BankError(N_("第 %(index)d 题（%(title)s）无法导出：%(why)s"), index=index,
                     title=question_title(draft.stem, index), why=why)


def _question(root: ET.Element, draft: QuestionDraft, index: int) -> None:
    kind = {"single": "multichoice", "multiple": "multichoice", "true_false": "truefalse",
            "short_answer": "essay"}.get(draft.type)
    if draft.type == "fill_blank":
        blanks = draft.answer if isinstance(draft.answer, list) else []
        if not blanks or not all(isinstance(b, list) and b for b in blanks):
            raise _bad_draft(index, draft, "填空题缺少答案")
        kind = "shortanswer" if len(blanks) == 1 else "cloze"
    if kind is None:
        raise _bad_draft(index, draft, f"未知题型 {draft.type}")
    question = ET.SubElement(root, "question", {"type": kind})
    name = ET.SubElement(question, "name")
    ET.SubElement(name, "text").text = _clean(question_title(draft.stem, index))
    if kind == "cloze":
        _text_element(question, "questiontext", _cloze_text(draft.stem, draft.answer))
    else:
        _text_element(question, "questiontext", draft.stem)
    _text_element(question, "generalfeedback", draft.explanation)
    points = draft.points if draft.points is not None else 1
    _simple(question, "defaultgrade", format_weight(float(points)))
    _simple(question, "penalty", {"truefalse": "1", "essay": "0"}.get(kind, "0.3333333"))
    _simple(question, "hidden", "0")
    if kind == "multichoice":
        n = len(draft.options)
        if draft.type == "single":
            correct = {draft.answer} if isinstance(draft.answer, str) else set()
        else:
            correct = set(draft.answer or [])
        keys = set(OPTION_KEYS[:n])
        if not correct or not correct <= keys or n < 2:
            raise _bad_draft(index, draft, "选项或答案不完整")
        _simple(question, "single", "true" if draft.type == "single" else "false")
        _simple(question, "shuffleanswers", "true")
        _simple(question, "answernumbering", "ABCD")
        for key, text in zip(OPTION_KEYS, draft.options):
            if draft.type == "single":
                fraction = "100" if key in correct else "0"
            else:
                fraction = multiple_weights(len(correct)) if key in correct else "-100"
            _answer(question, fraction, text)
    elif kind == "truefalse":
        if not isinstance(draft.answer, bool):
            raise _bad_draft(index, draft, "判断题答案应为 对 或 错")
        _answer(question, "100" if draft.answer else "0", "true", "moodle_auto_format")
        _answer(question, "0" if draft.answer else "100", "false", "moodle_auto_format")
    elif kind == "shortanswer":
        _simple(question, "usecase", "0")
        for alternative in draft.answer[0]:
            _answer(question, "100", alternative, "moodle_auto_format")
    elif kind == "essay":
        answer = draft.answer if isinstance(draft.answer, dict) else {}
        reference = str(answer.get("reference") or "")
        keywords = answer.get("keywords") or []
        for tag, text in (("responseformat", "editor"), ("responserequired", "1"), ("responsefieldlines", "15"),
                          ("attachments", "0"), ("attachmentsrequired", "0")):
            _simple(question, tag, text)
        _text_element(question, "graderinfo", join_keywords_line(reference, keywords))
        _text_element(question, "responsetemplate", "", "html")
    if draft.knowledge_points:
        tags = ET.SubElement(question, "tags")
        for point in draft.knowledge_points:
            tag = ET.SubElement(tags, "tag")
            ET.SubElement(tag, "text").text = _clean(point)


def write(drafts: list[QuestionDraft]) -> bytes:
    root = ET.Element("quiz")
    category = ""
    for index, draft in enumerate(drafts, start=1):
        if draft.category != category:
            category = draft.category
            record = ET.SubElement(root, "question", {"type": "category"})
            holder = ET.SubElement(record, "category")
            ET.SubElement(holder, "text").text = _clean(category.replace("\n", " "))
        _question(root, draft, index)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")
