"""Decoding uploaded text: UTF-8 with any number of BOMs, or GBK/GB18030 as Chinese Excel and Notepad write it."""
from __future__ import annotations

from question_bank.messages import BankError, N_


def decode_text(data: bytes) -> str:
    """Return the text of ``data``; strip leading BOMs (some tools write two) and normalise newlines."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise BankError(
                N_("第 %(line)d 行的文字既不是 UTF-8 也不是 GBK 编码，请另存为 UTF-8 后再导入"), line=line
            ) from exc
    text = text.lstrip("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n")
