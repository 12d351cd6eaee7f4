"""Plain-text question banks in the Word layout (see ``wordlayout``), as files or pasted text."""
from __future__ import annotations

import re

from question_bank.drafts import ParseResult, Problem
from question_bank.formats.safety import is_zip
from question_bank.formats.textcodec import decode_text
from question_bank.formats.wordlayout import parse_lines, text_lines
from question_bank.messages import BankError

NAME = "txt"
LABEL = "文本（Word 题库格式）"
EXTENSIONS = (".txt",)

# Sniff scores (0–100, as the other formats): readable text is a candidate (5, above a loose CSV guess);
# text with option lines and answer marks is this layout (60). GIFT, Aiken or a CSV with our header
# score higher when they recognise their own syntax.
_OPTION_LINE = re.compile(r"^\s*(?:[(（]\s*[A-HＡ-Ｈ]\s*[)）]|[A-HＡ-Ｈ]\s*[.．、:：)）])", re.M)
_ANSWER_MARK = re.compile(
    r"^\s*(?:[【\[]?\s*(?:正确答案|参考答案|标准答案|答案)\s*[】\]]?\s*[:：]?|[A-HＡ-Ｈ]{1,8}\s*$)"
    r"|[(（]\s*(?:[A-HＡ-Ｈ]+|√|×|对|错)\s*[)）]",
    re.M,
)
_SNIFF_BYTES = 64 * 1024
_TEXT_SCORE = 5
_LAYOUT_SCORE = 60


def sniff(data: bytes) -> int:
    head = data[:_SNIFF_BYTES]
    if len(data) > _SNIFF_BYTES:  # cut at a line end, not inside a character
        head = head[: head.rfind(b"\n") + 1] or head
    if not head or is_zip(head) or b"\x00" in head:
        return 0
    try:
        text = decode_text(head)
    except BankError:
        return 0
    if _OPTION_LINE.search(text) and _ANSWER_MARK.search(text):
        return _LAYOUT_SCORE
    return _TEXT_SCORE


def read(data: bytes) -> ParseResult:
    try:
        text = decode_text(data)
    except BankError as exc:
        return ParseResult(format=NAME, problems=[Problem(None, exc.message)])
    return parse_lines(text_lines(text), NAME)


def read_text(text: str) -> ParseResult:
    """Text pasted into the import page: already decoded, numbered from its first line."""
    return parse_lines(text_lines(text), NAME)
