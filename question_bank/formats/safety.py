"""Guards for uploaded zip containers (xlsx, docx) against zip bombs, checked before any parser opens them."""
from __future__ import annotations

import io
import zipfile

from question_bank.messages import BankError, N_

MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
MAX_MEMBERS = 10_000


def is_zip(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def zip_member_names(data: bytes) -> list[str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return zf.namelist()
    except zipfile.BadZipFile:
        return []


def check_zip(data: bytes) -> None:
    """Refuse a container whose declared expansion is absurd; the error says why in plain words."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise BankError(N_("文件已损坏，无法作为 Excel 或 Word 文件打开")) from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise BankError(N_("文件内部条目过多（%(n)d 个），疑似恶意压缩文件，已拒绝"), n=len(infos))
        total = sum(i.file_size for i in infos)
        packed = max(1, sum(i.compress_size for i in infos))
        if total > MAX_UNCOMPRESSED_BYTES or total / packed > MAX_COMPRESSION_RATIO:
            raise BankError(N_("文件解压后过大（压缩比异常），疑似压缩炸弹，已拒绝"))
