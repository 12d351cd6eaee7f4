"""Word (.docx) question banks in the Word layout (see ``wordlayout``).

Each paragraph is a line, numbered from 1 in document order; table cells are read row by row,
left to right, and their paragraphs are numbered in the same sequence. A manual line break
inside a paragraph (Shift+Enter) splits it into several lines with the same number. Numbers
and letters that Word's automatic numbering shows (``1.`` ``A.``) are put in front of the text,
as the organizer sees them, since they are not part of the paragraph's text.
"""
from __future__ import annotations

import io
from typing import Any

from question_bank.drafts import ParseResult, Problem
from question_bank.formats.safety import check_zip, is_zip, zip_member_names
from question_bank.formats.wordlayout import parse_lines
from question_bank.messages import BankError, N_

NAME = "docx"
LABEL = "Word 文档（Word 题库格式）"
EXTENSIONS = (".docx",)

# Sniff scores are 0–100 (see the registry). Any Word document is read by this generic reader: 50.
# A reader for a more specific Word template should score higher when it recognises its own marks.
_SNIFF_SCORE = 50


def sniff(data: bytes) -> int:
    if not is_zip(data):
        return 0
    return _SNIFF_SCORE if "word/document.xml" in zip_member_names(data) else 0


def read(data: bytes) -> ParseResult:
    try:
        check_zip(data)
        lines = document_lines(data)
    except BankError as exc:
        return ParseResult(format=NAME, problems=[Problem(None, exc.message)])
    return parse_lines(lines, NAME)


def document_lines(data: bytes) -> list[tuple[int, str]]:
    """(paragraph number, text) for every line of the document body, tables included."""
    import docx  # python-docx; imported here so the text formats do not pay for it

    try:
        document = docx.Document(io.BytesIO(data))
        numbering = _Numbering(document)
        lines: list[tuple[int, str]] = []
        for number, paragraph in enumerate(_paragraphs(document), start=1):
            label = numbering.label(paragraph)
            text = paragraph.text
            if label:
                text = f"{label} {text}"
            for part in text.replace("\r", "\n").replace("\v", "\n").split("\n"):
                lines.append((number, part))
        return lines
    except BankError:
        raise
    except Exception as exc:  # a damaged or foreign package: python-docx and lxml raise many kinds
        raise BankError(N_("Word 文件无法打开（%(reason)s），请用 Word 另存为 .docx 后再导入"),
                        reason=type(exc).__name__) from exc


def _paragraphs(document: Any):
    """Body paragraphs in order; a table's cells row by row (merged cells once), nested tables too."""
    from docx.table import Table

    def walk(container: Any):
        for item in container.iter_inner_content():
            if isinstance(item, Table):
                for row in item.rows:
                    seen: set[int] = set()
                    for cell in row.cells:
                        if id(cell._tc) in seen:
                            continue
                        seen.add(id(cell._tc))
                        yield from walk(cell)
            else:
                yield item

    yield from walk(document)


# --- Word's automatic numbering ------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_CN_DIGITS = "〇一二三四五六七八九"
_TIANGAN = "甲乙丙丁戊己庚辛壬癸"


def _chinese(n: int) -> str:
    if n <= 0:
        return str(n)
    if n < 10:
        return _CN_DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")
    return str(n)


def _letters(n: int) -> str:
    # Word repeats the letter: A..Z, AA..ZZ, AAA..
    if n <= 0:
        return str(n)
    return chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1)


def _roman(n: int) -> str:
    if not 0 < n < 4000:
        return str(n)
    out = []
    for value, sym in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                       (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out.append(sym)
            n -= value
    return "".join(out)


def _format(n: int, fmt: str) -> str:
    if fmt == "upperLetter":
        return _letters(n)
    if fmt == "lowerLetter":
        return _letters(n).lower()
    if fmt == "upperRoman":
        return _roman(n)
    if fmt == "lowerRoman":
        return _roman(n).lower()
    if fmt in ("chineseCounting", "chineseCountingThousand", "taiwaneseCounting", "ideographDigital",
               "japaneseCounting"):
        return _chinese(n)
    if fmt == "ideographTraditional":
        return _TIANGAN[(n - 1) % 10] if n > 0 else str(n)
    if fmt == "decimalEnclosedCircle" or fmt == "decimalEnclosedCircleChinese":
        return chr(0x2460 + n - 1) if 0 < n <= 20 else str(n)
    if fmt == "decimalFullWidth" or fmt == "decimalFullWidth2":
        return "".join(chr(ord(c) + 0xFEE0) for c in str(n))
    if fmt == "decimalZero":
        return f"{n:02d}"
    return str(n)


class _Numbering:
    """Renders the label Word shows before a numbered paragraph ("1.", "A、", "（一）")."""

    def __init__(self, document: Any) -> None:
        self.levels: dict[str, dict[int, dict[str, Any]]] = {}  # abstractNumId -> ilvl -> level
        self.nums: dict[str, tuple[str, dict[int, int]]] = {}  # numId -> (abstractNumId, start overrides)
        self.counters: dict[str, list[int]] = {}
        self.started: set[str] = set()
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        for abstract in root.iter(f"{_W}abstractNum"):
            aid = abstract.get(f"{_W}abstractNumId")
            levels: dict[int, dict[str, Any]] = {}
            for lvl in abstract.iter(f"{_W}lvl"):
                levels[_int(lvl.get(f"{_W}ilvl"), 0)] = _level(lvl)
            self.levels[aid] = levels
        for num in root.iter(f"{_W}num"):
            ref = num.find(f"{_W}abstractNumId")
            if ref is None:
                continue
            overrides: dict[int, int] = {}
            for override in num.iter(f"{_W}lvlOverride"):
                start = override.find(f"{_W}startOverride")
                if start is not None:
                    overrides[_int(override.get(f"{_W}ilvl"), 0)] = _int(start.get(f"{_W}val"), 1)
            self.nums[num.get(f"{_W}numId")] = (ref.get(f"{_W}val"), overrides)

    def _num_pr(self, paragraph: Any) -> tuple[str, int] | None:
        p_pr = paragraph._p.pPr
        num_pr = p_pr.numPr if p_pr is not None else None
        if num_pr is None:
            style = paragraph.style
            depth = 0
            while style is not None and depth < 10 and num_pr is None:
                s_pr = style.element.pPr
                num_pr = s_pr.numPr if s_pr is not None else None
                style = style.base_style
                depth += 1
        if num_pr is None or num_pr.numId is None:
            return None
        ilvl = num_pr.ilvl.val if num_pr.ilvl is not None else 0
        return str(num_pr.numId.val), int(ilvl or 0)

    def label(self, paragraph: Any) -> str:
        if not self.nums:
            return ""
        found = self._num_pr(paragraph)
        if found is None:
            return ""
        num_id, ilvl = found
        if num_id not in self.nums:
            return ""  # numId 0 switches numbering off
        aid, overrides = self.nums[num_id]
        levels = self.levels.get(aid, {})
        level = levels.get(ilvl)
        if level is None or level["fmt"] in ("bullet", "none"):
            return ""
        counters = self.counters.setdefault(aid, [0] * 10)
        if num_id not in self.started:
            self.started.add(num_id)
            for lv, start in overrides.items():
                if 0 <= lv < 10:
                    counters[lv] = start - 1
        if not 0 <= ilvl < 10:
            return ""
        if counters[ilvl] == 0 and level["start"] != 1:
            counters[ilvl] = level["start"] - 1
        counters[ilvl] += 1
        for deeper in range(ilvl + 1, 10):
            counters[deeper] = 0
        text = level["text"]
        for lv in range(ilvl, -1, -1):
            info = levels.get(lv, {"fmt": "decimal", "start": 1})
            value = counters[lv] if counters[lv] else info["start"]
            text = text.replace(f"%{lv + 1}", _format(value, info["fmt"]))
        return text.strip()


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _level(lvl: Any) -> dict[str, Any]:
    def val(tag: str, default: str) -> str:
        el = lvl.find(f"{_W}{tag}")
        got = el.get(f"{_W}val") if el is not None else None
        return got if got is not None else default

    return {"fmt": val("numFmt", "decimal"), "text": val("lvlText", ""), "start": _int(val("start", "1"), 1)}


__all__ = ["NAME", "LABEL", "EXTENSIONS", "sniff", "read", "document_lines"]
