"""GIFT, Moodle's plain-text question format: read and write.

A question is a block of lines ending at a blank line: an optional ``::title::``, the stem, and one
``{…}`` answer block (``//`` lines are comments; ``$CATEGORY: path`` switches category). Mapping:
- ``{=right ~wrong ~wrong}`` → ``single``; several ``=`` answers, or ``~%50%a ~%50%b ~%-100%c`` weights
  with no ``=`` → ``multiple`` (correct = positive weight). Partial credit beside an ``=`` answer is dropped.
- ``{T}`` / ``{TRUE}`` / ``{F}`` / ``{FALSE}`` (any case; also 对/错/正确/错误/√/×) → ``true_false``.
- ``{=a =b}`` (short answer) → ``fill_blank`` with one blank; its alternatives are the answers with
  100 % credit. A stem with no blank gets ``（ ）`` appended.
- Missing-word questions (text after the closing brace): the blank ``（ ）`` goes where the braces were.
- ``{}`` (essay) → ``short_answer``; a ``// 参考答案：`` comment line in the block gives the reference
  answer (plain text, or the JSON key ``{"reference": …, "keywords": …}`` that ``write`` puts there).
- ``####text`` inside the braces → explanation. ``[html]``/``[moodle]`` text is turned into plain text.
- Matching (``=a -> b``), numerical (``{#…}``), Cloze (``{1:MULTICHOICE:…}``) and descriptions
  (no braces) are reported as ``Skipped``; malformed blocks as ``Problem`` at the question's first line.
Escapes ``\\~ \\= \\# \\{ \\} \\: \\n \\\\`` are honoured when reading and written when writing.
GIFT cannot hold a fill-in with several blanks: ``write`` refuses it (use Moodle XML or Excel).
"""
from __future__ import annotations

import json
import re

from question_bank.answers import count_blanks
from question_bank.drafts import OPTION_KEYS, ParseResult, Problem, QuestionDraft, Skipped
from question_bank.formats.moodle_xml import (
    FULL_CREDIT,
    GAP,
    html_to_text,
    keywords_are_valid,
    multiple_weights,
    no_questions_problem,
    question_title,
    short_answer_key,
    skipped,
    strip_category_context,
)
from question_bank.formats.textcodec import decode_text
from question_bank.messages import BankError, Message, N_

NAME = "gift"
LABEL = "GIFT (Moodle)"
EXTENSIONS = (".gift", ".txt")

BLANK = "（ ）"
REFERENCE_COMMENT = "参考答案："

# Escaped characters are swapped for Unicode noncharacters while the structure is parsed
# (as Moodle swaps them for '&&058;' and friends); real text never contains them.
_NONCHARACTERS = re.compile("[\ufdd0-\ufdef]")
_ESCAPABLE = {":": "\ufdd1", "#": "\ufdd2", "=": "\ufdd3", "{": "\ufdd4", "}": "\ufdd5", "~": "\ufdd6"}
_BACKSLASH = "\ufdd7"
_NEWLINE = "\ufdd8"
_GAP = GAP  # where a missing-word answer block was
_RESTORE = {ph: ch for ch, ph in _ESCAPABLE.items()} | {_BACKSLASH: "\\", _NEWLINE: "\n"}

_FORMAT_TAG = re.compile(r"^\[(moodle|html|plain|markdown)\]")
_WEIGHT = re.compile(r"^%\s*(-?\d+(?:[.,]\d*)?)\s*%")
_CLOZE_MARK = re.compile(r"\{\d*:[A-Z_]+:")
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False, "对": True, "错": False,
               "正确": True, "错误": False, "√": True, "×": False}


def _protect(text: str) -> str:
    text = _NONCHARACTERS.sub("", text).replace("\\\\", _BACKSLASH)
    for ch, placeholder in _ESCAPABLE.items():
        text = text.replace("\\" + ch, placeholder)
    return text.replace("\\n", _NEWLINE)


def _restore(text: str) -> str:
    return "".join(_RESTORE.get(ch, ch) for ch in text)


def _split_format(text: str, default: str) -> tuple[str, str]:
    text = text.strip()
    match = _FORMAT_TAG.match(text)
    if match:
        return text[match.end():], match.group(1)
    return text, default


def _plain(text: str, default_format: str) -> str:
    """Protected GIFT text (with an optional [format] tag) -> plain text."""
    body, fmt = _split_format(text, default_format)
    return html_to_text(_restore(body), fmt)


def _weight(part: str, default: float) -> tuple[float, str]:
    match = _WEIGHT.match(part)
    if match:
        return float(match.group(1).replace(",", ".")), part[match.end():]
    return default, part


def _problem(line: int, template: str, **params: object) -> Problem:
    return Problem(line, Message(template, params))


# --- reading ------------------------------------------------------------------------------------------

def _blocks(text: str):
    """Yield (first line number, [(line number, stripped line)]) for each blank-line separated block."""
    block: list[tuple[int, str]] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if line:
            block.append((number, line))
        elif block:
            yield block
            block = []
    if block:
        yield block


def _reference_from_comment(payload: str) -> dict:
    try:
        value = json.loads(payload)
    except ValueError:
        value = None
    if (isinstance(value, dict) and isinstance(value.get("reference", ""), str)
            and (keywords_are_valid(value.get("keywords", [])) or value.get("keywords", []) == [])):
        return short_answer_key(value.get("reference", ""), value.get("keywords", []))
    return short_answer_key(payload.strip())


class _Question:
    def __init__(self, line: int, text: str, category: str, reference: dict | None) -> None:
        self.line = line
        self.text = text  # protected
        self.category = category
        self.reference = reference
        self.problems: list[Problem] = []

    def problem(self, template: str, **params: object) -> None:
        self.problems.append(_problem(self.line, template, **params))

    def draft(self, type_: str, stem: str, answer: object, explanation: str,
              options: list[str] | None = None) -> QuestionDraft | None:
        if not stem.replace(BLANK, "").strip():
            self.problem(N_("题干为空"))
        if self.problems:
            return None
        return QuestionDraft(type=type_, stem=stem, options=options or [], answer=answer,
                             explanation=explanation, line=self.line, category=self.category)

    def parse(self) -> QuestionDraft | Skipped | None:
        text = self.text
        if text.startswith("::"):
            end = text.find("::", 2)
            text = text[end + 2:].strip() if end >= 0 else text[2:]
        opens, closes = text.count("{"), text.count("}")
        if not opens and not closes:
            return skipped(self.line, "description")
        if _CLOZE_MARK.search(text):
            return skipped(self.line, "cloze")
        if opens > closes:
            self.problem(N_("答案块的大括号没有闭合：有“{”却缺少“}”（题目中的“{”“}”本身请写成 \\{ \\}）"))
            return None
        if closes > opens:
            self.problem(N_("出现了多余的“}”，或缺少与之配对的“{”（题目中的“{”“}”本身请写成 \\{ \\}）"))
            return None
        if opens > 1:
            self.problem(N_("一道题只能有一个答案块 {…}，这里有 %(n)d 个；题目之间要空一行"), n=opens)
            return None
        start, end = text.index("{"), text.index("}")
        if end < start:
            self.problem(N_("“}”出现在“{”之前，答案块的大括号不配对"))
            return None
        before, answer, after = text[:start], text[start + 1:end].strip(), text[end + 1:]
        stem_format = _split_format(before, "moodle")[1]
        gap = after.strip() != ""
        explanation = ""
        separator = answer.rfind("####")
        if separator >= 0:
            explanation = _plain(answer[separator + 4:], stem_format)
            answer = answer[:separator].strip()

        def stem(blank: str) -> str:
            source = before + (_GAP + after if gap else "")
            return _plain(source, "moodle").replace(_GAP, blank)

        if answer == "":
            return self.draft("short_answer", stem(""), self.reference or short_answer_key(""), explanation)
        if answer.startswith("#"):
            return skipped(self.line, "numerical")
        if "~" in answer:
            return self.choice(answer, stem(BLANK), stem_format, explanation)
        parts = [p.strip() for p in answer.split("=") if p.strip()]
        if "=" in answer and parts and all("->" in p for p in parts):
            return skipped(self.line, "matching")
        truth = _TRUE_FALSE.get(answer.split("#", 1)[0].strip().upper())
        if truth is not None:
            return self.draft("true_false", stem(""), truth, explanation)
        return self.fill(answer, stem(BLANK), gap, explanation)

    def choice(self, answer: str, stem: str, fmt: str, explanation: str) -> QuestionDraft | None:
        single = "=" in answer
        parts = answer.replace("=", "~=").split("~")
        if not parts[0].strip():
            parts = parts[1:]
        options, weights = [], []
        for part in parts:
            part = part.strip()
            if part.startswith("="):
                weight, part = 100.0, part[1:]
            else:
                weight, part = _weight(part, 0.0)
            options.append(_plain(part.split("#", 1)[0], fmt))
            weights.append(weight)
        if len(options) < 2:
            self.problem(N_("选择题至少需要两个选项，这里只有 %(n)d 个"), n=len(options))
        if len(options) > len(OPTION_KEYS):
            self.problem(N_("选项最多 %(max)d 个，这里有 %(n)d 个"), max=len(OPTION_KEYS), n=len(options))
        for i, option in enumerate(options, start=1):
            if not option:
                self.problem(N_("第 %(n)d 个选项为空"), n=i)
        if single:
            correct = [i for i, w in enumerate(weights) if w >= FULL_CREDIT]
        else:
            correct = [i for i, w in enumerate(weights) if w > 0]
        if not correct:
            self.problem(N_("选择题没有正确答案：单选用“=”标出正确选项，多选用 ~%50% 这样的正分值标出各个正确选项"))
        if self.problems:
            return None
        letters = [OPTION_KEYS[i] for i in correct]
        if single and len(letters) == 1:
            return self.draft("single", stem, letters[0], explanation, options)
        return self.draft("multiple", stem, letters, explanation, options)

    def fill(self, answer: str, stem: str, gap: bool, explanation: str) -> QuestionDraft | None:
        alternatives = []
        for part in answer.split("="):
            if not part.strip():
                continue
            weight, part = _weight(part.strip(), 100.0)
            text = _restore(_split_format(part.split("#", 1)[0], "moodle")[0]).strip()
            if weight >= FULL_CREDIT and text:
                alternatives.append(text)
        if not alternatives:
            self.problem(N_("填空题没有满分答案：请用“=答案”写出正确答案（可写多个，如 {=北京 =北平}）"))
        if not gap and count_blanks(stem) == 0:
            stem = f"{stem}{BLANK}"
        return self.draft("fill_blank", stem, [alternatives], explanation)


def read(data: bytes) -> ParseResult:
    result = ParseResult(format=NAME)
    try:
        text = decode_text(data)
    except BankError as exc:
        result.problems.append(Problem(None, exc.message))
        return result
    category = ""
    for block in _blocks(text):
        reference = None
        content: list[tuple[int, str]] = []
        for number, line in block:
            if line.startswith("//"):
                comment = line[2:].strip()
                if comment.startswith(REFERENCE_COMMENT):
                    reference = _reference_from_comment(comment[len(REFERENCE_COMMENT):])
            else:
                content.append((number, line))
        if content and content[0][1].startswith("$CATEGORY:"):
            category = strip_category_context(content[0][1][len("$CATEGORY:"):])
            content = content[1:]
        if not content:
            continue
        question = _Question(content[0][0], _protect("\n".join(line for _, line in content)).strip(),
                             category, reference)
        outcome = question.parse()
        result.problems.extend(question.problems)
        if isinstance(outcome, Skipped):
            result.skipped.append(outcome)
        elif outcome is not None:
            result.drafts.append(outcome)
    if not result.drafts and not result.skipped and not result.problems:
        result.problems.append(no_questions_problem())
    return result


# --- sniffing -----------------------------------------------------------------------------------------

_TITLE_LINE = re.compile(r"^\s*::[^\n]*?::", re.M)
_CATEGORY_LINE = re.compile(r"^\s*\$CATEGORY:", re.M)
_ANSWER_BLOCK = re.compile(r"\{\s*(?:[=~]|#[^#]|(?:T|F|TRUE|FALSE)\s*[#}]|####|\}(?!\s*[,\]}:]))", re.I)


def sniff(data: bytes) -> int:
    try:
        text = decode_text(data)
    except BankError:
        return 0
    head = text.lstrip()
    if not head or head.startswith("<"):
        return 0
    if head[0] in "[{":
        try:
            json.loads(text)
            return 0
        except ValueError:
            pass
    protected = _protect(text)
    blocks = [b for b in _blocks(protected) if any(not line.startswith("//") for _, line in b)]
    answer_blocks = sum(1 for b in blocks if _ANSWER_BLOCK.search("\n".join(line for _, line in b)))
    titles = len(_TITLE_LINE.findall(protected))
    categories = len(_CATEGORY_LINE.findall(protected))
    if answer_blocks and (titles or categories):
        return 85
    if answer_blocks and answer_blocks * 2 >= len(blocks):
        return 80
    if answer_blocks:
        return 40
    if titles or categories:
        return 30
    if _CLOZE_MARK.search(protected):
        return 20
    return 0


# --- writing ------------------------------------------------------------------------------------------

def _escape(text: str) -> str:
    text = str(text).replace("\r\n", "\n").replace("\r", "\n").replace("\\", "\\\\")
    for ch in _ESCAPABLE:
        text = text.replace(ch, "\\" + ch)
    return text.replace("\n", "\\n")


def _piece(text: str) -> str:
    """Escaped text, tagged [plain] when a GIFT reader would otherwise take it for HTML or a format tag."""
    text = str(text).strip()
    tag = "[plain]" if ("<" in text or "&" in text or text.startswith("[")) else ""
    return tag + _escape(text)


def _refuse(index: int, draft: QuestionDraft, why: str) -> BankError:
    return BankError(N_("第 %(index)d 题（%(title)s）无法导出为 GIFT：%(why)s"), index=index,
                     title=question_title(draft.stem, index), why=why)


def _answer_block(draft: QuestionDraft, index: int) -> str:
    explanation = f"####{_piece(draft.explanation)}" if draft.explanation.strip() else ""
    if draft.type in ("single", "multiple"):
        if draft.type == "single":
            correct = {draft.answer} if isinstance(draft.answer, str) else set()
        else:
            correct = set(draft.answer or [])
        if len(draft.options) < 2 or not correct or not correct <= set(OPTION_KEYS[:len(draft.options)]):
            raise _refuse(index, draft, "选项或答案不完整")
        lines = []
        for key, option in zip(OPTION_KEYS, draft.options):
            piece = _piece(option)
            if draft.type == "multiple":
                mark = f"~%{multiple_weights(len(correct))}%" if key in correct else "~%-100%"
            else:
                mark = "=" if key in correct else ("~%0%" if piece.startswith("%") else "~")
            lines.append(f"\t{mark}{piece}")
        if explanation:
            lines.append(f"\t{explanation}")
        return "{\n" + "\n".join(lines) + "\n}"
    if draft.type == "true_false":
        if not isinstance(draft.answer, bool):
            raise _refuse(index, draft, "判断题答案应为 对 或 错")
        return "{" + ("TRUE" if draft.answer else "FALSE") + explanation + "}"
    if draft.type == "fill_blank":
        blanks = draft.answer if isinstance(draft.answer, list) else []
        if len(blanks) != 1:
            raise _refuse(index, draft, "GIFT 只能表示一个空的填空题，多空填空题请改用 Moodle XML 或 Excel 导出")
        alternatives = [str(a).strip() for a in blanks[0] if str(a).strip()]
        if not alternatives:
            raise _refuse(index, draft, "填空题缺少答案")
        if all("->" in a for a in alternatives):
            raise _refuse(index, draft, "答案含有“->”，GIFT 会把它当作匹配题")
        lines = [f"\t=%100%{_piece(a)}" for a in alternatives]
        if explanation:
            lines.append(f"\t{explanation}")
        return "{\n" + "\n".join(lines) + "\n}"
    if draft.type == "short_answer":
        return "{" + explanation + "}"
    raise _refuse(index, draft, f"未知题型 {draft.type}")


def write(drafts: list[QuestionDraft]) -> bytes:
    out: list[str] = []
    category = ""
    for index, draft in enumerate(drafts, start=1):
        if draft.category != category:
            category = draft.category
            out.append("$CATEGORY: " + " ".join(category.split("\n")) + "\n")
        lines = []
        if draft.type == "short_answer":
            answer = draft.answer if isinstance(draft.answer, dict) else {}
            reference, keywords = str(answer.get("reference") or ""), answer.get("keywords") or []
            if reference or keywords:
                payload = json.dumps({"reference": reference, "keywords": keywords}, ensure_ascii=False)
                lines.append(f"// {REFERENCE_COMMENT}{payload}")
        title = _escape(question_title(draft.stem, index))
        lines.append(f"::{title}::{_piece(draft.stem)}{_answer_block(draft, index)}")
        out.append("\n".join(lines) + "\n")
    return "\n".join(out).encode("utf-8")
