"""Word (.docx) banks in the Word layout: the real files read as their text twins, plus Word's own features
(tables, line breaks inside a paragraph, automatic numbering) and broken uploads.

Invariant (DESIGN.md): bad input gets a clear error naming the line (here: the paragraph), and
nothing is half-imported; an oversized or damaged upload is refused with a reason, never a crash.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx as python_docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from question_bank.drafts import ParseResult
from question_bank.formats import docx, txt
from question_bank.formats.wordlayout import EMPTY_BLANK

BANKS = Path(__file__).resolve().parents[2] / "fixtures" / "banks"


def read(name: str) -> ParseResult:
    return docx.read((BANKS / name).read_bytes())


def saved(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- the real files ------------------------------------------------------------------------------

@pytest.mark.parametrize("stem", ["dj_shiwuwu_tiku", "study_xi_abcdtiku", "zztk_xuexitong_tiku"])
def test_word_file_reads_like_its_text_twin(stem):
    from_word, from_text = read(f"{stem}.docx"), txt.read((BANKS / f"{stem}.txt").read_bytes())
    assert from_word.drafts == from_text.drafts
    assert [str(p) for p in from_word.problems] == [str(p) for p in from_text.problems]
    assert from_word.format == "docx"


def test_dj_docx_counts_and_keys():
    result = read("dj_shiwuwu_tiku.docx")
    assert result.ok
    assert (result.counts_by_type()["single"], result.counts_by_type()["multiple"], len(result.drafts)) == (26, 8, 34)
    drafts = {d.line: d for d in result.drafts}  # line = paragraph number
    assert (drafts[3].answer, drafts[27].answer, drafts[114].answer) == ("B", "A", list("ABCDE"))
    assert drafts[27].stem.count(EMPTY_BLANK) == 1


def test_study_xi_docx_counts_and_keys():
    result = read("study_xi_abcdtiku.docx")
    assert result.ok and result.counts_by_type()["single"] == 30
    assert "".join(d.answer for d in result.drafts) == "BCBABDACABBAABAADAABBAABCDBACC"


def test_zztk_docx_is_refused_naming_the_42_paragraphs():
    result = read("zztk_xuexitong_tiku.docx")
    assert not result.ok
    assert len(result.problems) == 42
    assert result.problems[0].line == 406 and result.problems[-1].line == 2062
    assert result.counts_by_type()["multiple"] == 189


def test_sniff():
    assert docx.sniff((BANKS / "dj_shiwuwu_tiku.docx").read_bytes()) == 50
    assert docx.sniff((BANKS / "dj_shiwuwu_tiku.txt").read_bytes()) == 0
    other_zip = io.BytesIO()
    with zipfile.ZipFile(other_zip, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    assert docx.sniff(other_zip.getvalue()) == 0


# --- Word features ---------------------------------------------------------------------------------

def test_table_cells_are_read_row_by_row():
    document = python_docx.Document()
    document.add_paragraph("一、单选题")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "1.党的最高领导机关是（ A ）"
    table.cell(0, 1).text = "A.党的全国代表大会和中央委员会   B.国务院"
    table.cell(1, 0).text = "2.党的根本组织制度是（B）"
    table.cell(1, 1).text = "A.集体领导   B.民主集中制"
    document.add_paragraph("3.段落里的题（A）")
    document.add_paragraph("A.甲 B.乙")
    result = docx.read(saved(document))
    assert result.ok, [str(p) for p in result.problems]
    assert [(d.line, d.answer, d.options[1]) for d in result.drafts] == [
        (2, "A", "国务院"), (4, "B", "民主集中制"), (6, "A", "乙")]


def test_merged_cells_are_read_once():
    document = python_docx.Document()
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "1.题干（A）"
    table.cell(0, 0).merge(table.cell(0, 1))
    table.cell(1, 0).text = "A.甲"
    table.cell(1, 1).text = "B.乙"
    result = docx.read(saved(document))
    assert result.ok and [(d.stem, d.options) for d in result.drafts] == [(f"题干{EMPTY_BLANK}", ["甲", "乙"])]


def test_line_breaks_inside_a_paragraph_are_lines_with_its_number():
    document = python_docx.Document()
    document.add_paragraph("标题")
    paragraph = document.add_paragraph("1.题干")
    for text in ("A.甲", "B.乙", "答案：E"):
        run = paragraph.add_run()
        run.add_break()
        run.add_text(text)
    result = docx.read(saved(document))
    assert [(p.line, p.message.text) for p in result.problems] == [(2, "答案“E”含有不存在的选项 E（本题只有 2 个选项）")]


def _add_list(document, num_id: int, fmt: str, text: str, abstract_id: int | None = None, restart: bool = False) -> None:
    numbering = document.part.numbering_part.element
    if abstract_id is None:
        abstract_id = num_id
        abstract = parse_xml(
            f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}"><w:lvl w:ilvl="0">'
            f'<w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/></w:lvl></w:abstractNum>')
        numbering.find(qn("w:num")).addprevious(abstract)
    override = '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride>' if restart else ""
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/>'
                               f'{override}</w:num>'))


def _numbered(document, text: str, num_id: int):
    paragraph = document.add_paragraph(text)
    num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = 0
    num_pr.get_or_add_numId().val = num_id
    return paragraph


def test_automatic_numbering_is_read_as_word_shows_it():
    document = python_docx.Document()
    _add_list(document, 901, "decimal", "%1.")
    _add_list(document, 902, "upperLetter", "%1、")
    _add_list(document, 903, "upperLetter", "%1、", abstract_id=902, restart=True)
    _add_list(document, 904, "chineseCounting", "%1、")
    _numbered(document, "单选题", 904)
    _numbered(document, "党的最高领导机关是（ ）", 901)
    _numbered(document, "党的全国代表大会和中央委员会", 902)
    _numbered(document, "国务院", 902)
    document.add_paragraph("答案：A")
    _numbered(document, "党的根本组织制度是（ ）", 901)
    _numbered(document, "集体领导", 903)
    _numbered(document, "民主集中制", 903)
    document.add_paragraph("答案：B")
    assert docx.document_lines(saved(document))[:4] == [
        (1, "一、 单选题"), (2, "1. 党的最高领导机关是（ ）"), (3, "A、 党的全国代表大会和中央委员会"), (4, "B、 国务院")]
    result = docx.read(saved(document))
    assert result.ok, [str(p) for p in result.problems]
    assert [(d.line, d.type, d.stem, d.options, d.answer) for d in result.drafts] == [
        (2, "single", "党的最高领导机关是（ ）", ["党的全国代表大会和中央委员会", "国务院"], "A"),
        (6, "single", "党的根本组织制度是（ ）", ["集体领导", "民主集中制"], "B"),
    ]


def test_list_number_style_counts_on():
    document = python_docx.Document()
    document.add_paragraph("党的最高领导机关是（ A ）", style="List Number")
    document.add_paragraph("A.甲 B.乙")
    document.add_paragraph("党的根本组织制度是（ B ）", style="List Number")
    document.add_paragraph("A.甲 B.乙")
    assert [text for _, text in docx.document_lines(saved(document))][::2] == [
        "1. 党的最高领导机关是（ A ）", "2. 党的根本组织制度是（ B ）"]


# --- broken uploads ----------------------------------------------------------------------------------

def test_a_zip_bomb_is_refused_before_parsing():
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/document.xml", b"\0" * (20 * 1024 * 1024))
    result = docx.read(bomb.getvalue())
    assert result.drafts == [] and len(result.problems) == 1
    assert "压缩炸弹" in result.problems[0].message.text


@pytest.mark.parametrize("data", [b"", b"not a zip", b"PK\x03\x04broken"])
def test_damaged_file_is_one_problem(data):
    result = docx.read(data)
    assert result.drafts == [] and len(result.problems) == 1 and result.problems[0].line is None


def test_zip_that_is_not_a_word_file_is_one_problem():
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("word/document.xml", "<not-word/>")
    result = docx.read(other.getvalue())
    assert result.drafts == [] and len(result.problems) == 1
    assert "Word 文件无法打开" in result.problems[0].message.text


_SMALL = saved(python_docx.Document())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(_SMALL) - 1), st.integers(0, 255)), min_size=1, max_size=8))
def test_corrupted_word_file_never_raises(changes):
    """Invariant: a damaged upload gives a ParseResult with a problem or drafts, never an exception."""
    data = bytearray(_SMALL)
    for position, value in changes:
        data[position] = value
    assert isinstance(docx.read(bytes(data)), ParseResult)
    assert docx.sniff(bytes(data)) in (0, 50)
