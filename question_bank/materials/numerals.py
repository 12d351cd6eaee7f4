"""Chinese numerals in article and division labels (第十二条, 第一百零五条, 第十条之一), both ways.

``parse_number`` reads what regulation texts write: Chinese numerals with units (十二, 一百零五,
二百, 一千零一十, 两百, 一万二千), digit-by-digit Chinese (一〇五), and Arabic digits in half or full
width (12, １２). ``to_chinese`` writes the form the statute book uses: 十 (not 一十) for 10..19,
一百一十 for 110 (一十 inside a larger number), one 零 for each gap (一百零五, 一千零一十).
"""
from __future__ import annotations

import re
import unicodedata

__all__ = [
    "NUMERAL_CHARS",
    "article_label",
    "parse_article_label",
    "parse_number",
    "to_chinese",
]

_DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_MYRIAD = "万"
_ZH_DIGITS = "零一二三四五六七八九"

# Every character a number in a label may be written with (for building regular expressions).
NUMERAL_CHARS = "零〇○一二两三四五六七八九十百千万0-9０-９"

_LABEL_RE = re.compile(
    rf"^\s*第\s*(?P<num>[{NUMERAL_CHARS}]+)\s*条(?:\s*之\s*(?P<suf>[{NUMERAL_CHARS}]+))?\s*$"
)


def _parse_section(text: str, original: str) -> int:
    """A number below 万: 一千零一十, 十二, 二百 ..."""
    total = 0
    pending: int | None = None  # a digit waiting for its unit
    last_unit = 10_000
    after_zero = False
    for ch in text:
        if ch in _DIGITS:
            value = _DIGITS[ch]
            if pending is not None and (not after_zero or value == 0):
                raise ValueError(f"not a Chinese numeral: {original!r}")
            pending = value
            after_zero = value == 0
        elif ch in _UNITS:
            unit = _UNITS[ch]
            if unit >= last_unit or pending == 0:
                raise ValueError(f"not a Chinese numeral: {original!r}")
            total += (1 if pending is None else pending) * unit
            pending = None
            last_unit = unit
            after_zero = False
        else:
            raise ValueError(f"not a Chinese numeral: {original!r}")
    if after_zero and total:
        raise ValueError(f"not a Chinese numeral: {original!r}")  # a trailing 零: 二十零
    if pending:
        total += pending
    return total


def parse_number(text: str) -> int:
    """The value of a numeral as written in a label: ``十二`` → 12, ``一百零五`` → 105, ``12`` → 12.

    Raises ``ValueError`` for anything else (empty text, stray characters, units out of order).
    """
    original = text
    text = unicodedata.normalize("NFKC", text).strip()  # full-width digits become ASCII
    if not text:
        raise ValueError("empty numeral")
    if text.isascii() and text.isdigit():
        return int(text)
    if all(ch in _DIGITS for ch in text) and len(text) > 1:
        # digit by digit, as in 二〇二四 or 一〇五
        return int("".join(str(_DIGITS[ch]) for ch in text))
    if text.count(_MYRIAD) > 1 or text.startswith(_MYRIAD):
        raise ValueError(f"not a Chinese numeral: {original!r}")
    if _MYRIAD in text:
        high, low = text.split(_MYRIAD)
        value = _parse_section(high, original) * 10_000
        if low:
            value += _parse_section(low, original)
        return value
    return _parse_section(text, original)


def _section_to_chinese(n: int, *, leading: bool) -> str:
    """1..9999 in Chinese; ``leading`` drops the 一 of 一十 at the very start of the number."""
    out: list[str] = []
    zero_pending = False
    for unit_value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // unit_value % 10
        if digit == 0:
            if out:
                zero_pending = True
            continue
        if zero_pending:
            out.append("零")
            zero_pending = False
        if unit == "十" and digit == 1 and not out and leading:
            out.append("十")
        else:
            out.append(_ZH_DIGITS[digit] + unit)
    return "".join(out)


def to_chinese(n: int) -> str:
    """The statute-book spelling of ``n`` (0 ≤ n < 100 000 000): 12 → 十二, 105 → 一百零五."""
    if n < 0 or n >= 100_000_000:
        raise ValueError(f"out of range: {n}")
    if n == 0:
        return "零"
    high, low = divmod(n, 10_000)
    if not high:
        return _section_to_chinese(low, leading=True)
    out = _section_to_chinese(high, leading=True) + "万"
    if low:
        if low < 1000:
            out += "零"
        out += _section_to_chinese(low, leading=False)
    return out


def article_label(number: int, suffix: int = 0) -> str:
    """``article_label(12, 1)`` → ``第十二条之一``."""
    label = f"第{to_chinese(number)}条"
    if suffix:
        label += f"之{to_chinese(suffix)}"
    return label


def parse_article_label(label: str) -> tuple[int, int]:
    """``第十二条之一`` → (12, 1); ``第12条`` → (12, 0). Raises ``ValueError`` if it is not a label."""
    m = _LABEL_RE.match(label)
    if not m:
        raise ValueError(f"not an article label: {label!r}")
    number = parse_number(m["num"])
    suffix = parse_number(m["suf"]) if m["suf"] else 0
    return number, suffix
