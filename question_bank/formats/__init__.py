"""Format registry: one module per format, each with ``read(data) -> ParseResult``.

A format module defines:
    NAME: str                        registry key, e.g. "gift"
    LABEL: str                       what the import page shows, e.g. "GIFT (Moodle)"
    EXTENSIONS: tuple[str, ...]      file name endings it usually has, e.g. (".gift", ".txt")
    sniff(data: bytes) -> int        0 = not this format; higher = more certain (content, not name)
    read(data: bytes) -> ParseResult never raises for bad content: problems go into the result
    write(drafts) -> bytes           optional: formats we export to
Detection asks every module to sniff the bytes and takes the most certain; the file name only
breaks ties, so a GIFT file named .txt or an Excel file renamed .dat is still read right.
"""
from __future__ import annotations

import importlib
from collections.abc import Iterable
from types import ModuleType

from question_bank.bulk import with_gc_paused
from question_bank.drafts import NOTICE_KINDS, ParseResult, Problem, QuestionDraft
from question_bank.messages import BankError, Message, N_

# Order matters only for ties of equal certainty and equal file-name fit.
FORMAT_MODULES = ("xlsx", "yfexam", "docx", "moodle_xml", "gift", "aiken", "json", "csv", "txt")


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"question_bank.formats.{name}")


def available() -> dict[str, ModuleType]:
    """Formats whose module is present (all of FORMAT_MODULES once the bank issue is complete)."""
    found: dict[str, ModuleType] = {}
    for name in FORMAT_MODULES:
        try:
            found[name] = _module(name)
        except ModuleNotFoundError as exc:
            if exc.name != f"question_bank.formats.{name}":
                raise
    return found


def get(name: str) -> ModuleType:
    formats = available()
    if name not in formats:
        raise BankError(N_("不支持的格式：%(name)s"), name=name)
    return formats[name]


def detect(data: bytes, filename: str = "") -> str:
    """The format name for ``data``: content first, then the file name to break ties."""
    lower = filename.lower()
    best: tuple[int, int, int] | None = None
    best_name = ""
    for order, (name, mod) in enumerate(available().items()):
        score = mod.sniff(data)
        if score <= 0:
            continue
        name_fit = 1 if any(lower.endswith(ext) for ext in getattr(mod, "EXTENSIONS", ())) else 0
        key = (score, name_fit, -order)
        if best is None or key > best:
            best, best_name = key, name
    if not best_name:
        raise BankError(N_("无法识别文件格式，请使用题库导入模板（Excel）或按 Word 题库格式整理后再导入"))
    return best_name


@with_gc_paused
def read(data: bytes, filename: str = "", format: str = "auto") -> ParseResult:
    """Parse an upload into drafts; a file that cannot be opened at all becomes one Problem, and
    so does one in which nothing is a question (a wrong file, not an import of nothing). A file of
    questions the bank cannot hold (only matching, say) is not refused: it lists them as skipped."""
    try:
        name = detect(data, filename) if format == "auto" else format
        result = get(name).read(data)
    except BankError as exc:
        return ParseResult(format=format, problems=[Problem(None, exc.message)])
    if not result.drafts and not result.problems and all(s.kind in NOTICE_KINDS for s in result.skipped):
        result.problems.append(Problem(None, Message(N_("文件中没有找到题目：请确认上传的是题库文件，格式见题库导入说明"))))
    return result


def write(name: str, drafts: Iterable[QuestionDraft]) -> bytes:
    mod = get(name)
    if not hasattr(mod, "write"):
        raise BankError(N_("格式 %(name)s 只能导入，不能导出"), name=name)
    return mod.write(list(drafts))


__all__ = ["available", "detect", "get", "read", "write", "Message"]
