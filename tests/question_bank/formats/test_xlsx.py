"""The Excel import template: reading, problems by row, export and round trips.

Invariant (DESIGN.md): bad input gets a clear error naming the row, and nothing is half-imported.
"""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from question_bank import formats
from question_bank.drafts import QuestionDraft
from question_bank.formats import template_rows, xlsx

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "xlsx"

HEADER = ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "难度", "分值", "科目", "知识点", "出处"]


def workbook_bytes(rows, *, title="Sheet1", before_sheets=()):
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    for name, sheet_rows in before_sheets:
        extra = wb.create_sheet(name, 0)
        for row in sheet_rows:
            extra.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def row(type_, stem, options=(), answer="", *, explanation="", difficulty=None, points=None,
        subject="", knowledge="", source=""):
    options = list(options) + [None] * (4 - len(options))
    return [type_, stem, *options, answer, explanation, difficulty, points, subject, knowledge, source]


def read_rows(*rows, header=HEADER):
    return xlsx.read(workbook_bytes([header, *rows]))


def only_draft(result):
    assert result.problems == [], [str(p) for p in result.problems]
    assert len(result.drafts) == 1
    return result.drafts[0]


# --- answer spellings (DESIGN.md) --------------------------------------------------------------

FOUR = ("中央委员会", "中央政治局", "中央书记处", "中央纪委")

ANSWER_SPELLINGS = [
    # (题型, 答案 cell, expected key)
    ("单选", "B", "B"),
    ("单选", "b", "B"),
    ("单选", "Ｂ", "B"),
    ("单选", " B ", "B"),
    ("单选题", "B", "B"),
    ("多选", "ACD", ["A", "C", "D"]),
    ("多选", "acd", ["A", "C", "D"]),
    ("多选", "A,C,D", ["A", "C", "D"]),
    ("多选", "A，C，D", ["A", "C", "D"]),
    ("多选", "A、C、D", ["A", "C", "D"]),
    ("多选", "A C D", ["A", "C", "D"]),
    ("多选", "ＡＣＤ", ["A", "C", "D"]),
    ("多选", "DCA", ["A", "C", "D"]),
    ("多选题", "B", ["B"]),
    ("判断", "对", True),
    ("判断", "错", False),
    ("判断", "正确", True),
    ("判断", "错误", False),
    ("判断", "√", True),
    ("判断", "×", False),
    ("判断", "T", True),
    ("判断", "F", False),
    ("判断", "t", True),
    ("判断", "A", True),
    ("判断", "B", False),
    ("判断", 1, True),
    ("判断", 0, False),
    ("判断", True, True),
    ("判断", False, False),
    ("判断题", "对", True),
]


@pytest.mark.parametrize(("type_", "answer", "expected"), ANSWER_SPELLINGS)
def test_every_answer_spelling_reads_to_the_canonical_key(type_, answer, expected):
    options = FOUR if "选" in type_ else ()
    draft = only_draft(read_rows(row(type_, "党的最高领导机关是（ ）。", options, answer)))
    assert draft.answer == expected


@pytest.mark.parametrize(
    ("stem", "answer", "expected"),
    [
        ("预备党员的预备期为（ ）年。", "一/1", [["一", "1"]]),
        ("预备党员的预备期为___年。", "一", [["一"]]),
        ("预备党员的预备期为【】年。", "一", [["一"]]),
        ("党的纪律包括（ ）纪律和【 】纪律。", "政治|组织", [["政治"], ["组织"]]),
        ("（ ）、___和【】", "甲|乙/乙二|丙", [["甲"], ["乙", "乙二"], ["丙"]]),
        ("全国共有（ ）个省级行政区。", 34, [["34"]]),
    ],
)
def test_fill_blank_answers_are_one_group_per_blank_with_alternatives(stem, answer, expected):
    draft = only_draft(read_rows(row("填空", stem, (), answer)))
    assert draft.type == "fill_blank"
    assert draft.answer == expected


def test_blank_count_mismatch_is_a_problem_on_that_row():
    result = read_rows(row("填空", "党的纪律包括（ ）纪律和（ ）纪律。", (), "政治"))
    assert result.drafts == []
    assert [p.line for p in result.problems] == [2]
    assert "2 个空" in str(result.problems[0]) and "1 组" in str(result.problems[0])


def test_fill_blank_without_any_blank_in_the_stem_is_a_problem():
    result = read_rows(row("填空", "党的最高领导机关是什么", (), "中央委员会"))
    assert [p.line for p in result.problems] == [2]
    assert "没有空位" in str(result.problems[0])


def test_short_answer_keeps_reference_and_keyword_groups():
    header = HEADER + ["关键词"]
    draft = only_draft(read_rows(
        row("简答", "简述“四个服从”。", (), "党员个人服从党的组织……") + ["个人服从组织/个人服从集体；少数服从多数;下级服从上级"],
        header=header,
    ))
    assert draft.answer == {
        "reference": "党员个人服从党的组织……",
        "keywords": [["个人服从组织", "个人服从集体"], ["少数服从多数"], ["下级服从上级"]],
    }


def test_short_answer_without_keyword_column_has_no_keywords():
    draft = only_draft(read_rows(row("简答", "简述“四个服从”。", (), "参考答案")))
    assert draft.answer == {"reference": "参考答案", "keywords": []}


def test_keywords_on_a_choice_question_are_a_problem():
    result = read_rows(row("单选", "题干", FOUR, "A") + ["要点"], header=HEADER + ["关键词"])
    assert [p.line for p in result.problems] == [2]


# --- problems by row ---------------------------------------------------------------------------

def test_a_key_naming_an_empty_option_is_a_problem_on_that_row():
    result = read_rows(
        row("单选", "好题", FOUR, "A"),
        row("单选", "只有两个选项", FOUR[:2], "C"),
    )
    assert [d.line for d in result.drafts] == [2]
    assert [p.line for p in result.problems] == [3]
    assert "C" in str(result.problems[0]) and "2 个选项" in str(result.problems[0])


def test_one_bad_row_among_good_ones_names_that_row_and_loses_no_row():
    good = row("单选", "党的最高领导机关是（ ）。", FOUR, "A")
    bad_rows = {
        4: row("单选", "答案不是字母", FOUR, "甲"),
        6: row("多选", "", FOUR, "AB"),  # no stem
        7: row("判断", "预备期一年。", (), "也许"),
        9: row("口试", "不存在的题型", (), "A"),
    }
    rows = []
    for line in range(2, 11):
        rows.append(bad_rows.get(line, good))
    result = xlsx.read(workbook_bytes([HEADER, *rows]))
    assert sorted({p.line for p in result.problems}) == sorted(bad_rows)
    assert [d.line for d in result.drafts] == [n for n in range(2, 11) if n not in bad_rows]
    assert len(result.drafts) + len(bad_rows) == len(rows)
    assert not result.ok


def test_every_problem_of_a_row_is_reported_not_just_the_first():
    result = read_rows(row("单选", "", FOUR, "Z", difficulty="很难", points=-2))
    assert {p.line for p in result.problems} == {2}
    text = " ".join(str(p) for p in result.problems)
    assert "题干" in text and "Z" in text and "难度" in text and "分值" in text


def test_problems_print_with_their_row_number():
    result = read_rows(row("单选", "题干", FOUR, ""))
    assert str(result.problems[0]).startswith("第 2 行：")


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ([h for h in HEADER if h != "答案"], ["答案"]),
        ([h for h in HEADER if h != "题型"], ["题型"]),
        ([h for h in HEADER if h not in ("题型", "题干")], ["题型", "题干"]),
    ],
)
def test_a_missing_required_header_is_one_problem_naming_it(header, missing):
    result = xlsx.read(workbook_bytes([header, ["单选", "题干", "A", "B"]]))
    assert len(result.problems) == 1
    problem = result.problems[0]
    assert problem.line == 1
    for name in missing:
        assert name in str(problem)
    assert result.drafts == []


def test_a_duplicated_header_is_a_problem():
    result = xlsx.read(workbook_bytes([["题型", "题干", "题目", "答案"], ["判断", "x", "y", "对"]]))
    assert [p.line for p in result.problems] == [1]
    assert "题干" in str(result.problems[0])


def test_gaps_between_options_are_a_problem():
    result = read_rows(row("单选", "题干", ("甲", None, "丙"), "A"))
    assert [p.line for p in result.problems] == [2]
    assert "选项B" in str(result.problems[0])


def test_a_choice_question_needs_two_options_and_single_needs_one_key():
    result = read_rows(
        row("单选", "一个选项", ("甲",), "A"),
        row("单选", "两个答案", FOUR, "AB"),
    )
    assert [p.line for p in result.problems] == [2, 3]


def test_options_on_a_fill_blank_row_suggest_a_wrong_type():
    result = read_rows(row("填空", "预备期为（ ）年", ("一", "二"), "一"))
    assert [p.line for p in result.problems] == [2]
    assert "题型" in str(result.problems[0])


@pytest.mark.parametrize(
    ("options", "answer", "expected"),
    [
        (("正确", "错误"), "A", True),
        (("错误", "正确"), "A", False),
        (("错误", "正确"), "B", True),
        (("对", "错"), "对", True),
    ],
)
def test_true_false_with_filled_options_reads_a_letter_through_them(options, answer, expected):
    draft = only_draft(read_rows(row("判断", "预备期为一年。", options, answer)))
    assert draft.answer is expected
    assert draft.options == []


def test_true_false_with_real_options_is_a_problem_suggesting_a_wrong_type():
    result = read_rows(row("判断", "党的最高领导机关是", FOUR, "A"))
    assert [p.line for p in result.problems] == [2]


# --- cells and headers -------------------------------------------------------------------------

def test_typed_numeric_cells():
    rows = [
        row("单选", "建党于哪一年？", (1919, 1921, 1927.0), 2.0, difficulty=3, points=2.0),
        row("判断", "预备期为一年。", (), 1, difficulty=5.0, points=1),
        row("填空", "党的二十大于（ ）年召开。", (), 2022, difficulty="4", points="1.5"),
    ]
    # a numeric 答案 on a choice row is not a letter: only the first two rows are meant to import
    result = read_rows(*rows)
    assert [p.line for p in result.problems] == [2]
    tf, fill = result.drafts
    assert (tf.answer, tf.difficulty, tf.points) == (True, 5, 1.0)
    assert (fill.answer, fill.difficulty, fill.points) == ([["2022"]], 4, 1.5)
    fixed = xlsx.read(workbook_bytes([HEADER, row("单选", "建党于哪一年？", (1919, 1921, 1927.0), "B", difficulty=3, points=2.0)]))
    draft = only_draft(fixed)
    assert draft.options == ["1919", "1921", "1927"]
    assert (draft.difficulty, draft.points) == (3, 2.0)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [(None, 3), ("", 3), (1, 1), (5, 5), ("2", 2), ("３", 3), ("易", 1), ("较易", 2), ("中", 3), ("较难", 4), ("难", 5), (4.0, 4)],
)
def test_difficulty_spellings(cell, expected):
    draft = only_draft(read_rows(row("判断", "题干", (), "对", difficulty=cell)))
    assert draft.difficulty == expected


@pytest.mark.parametrize("cell", [0, 6, 2.5, "很难", "-1"])
def test_bad_difficulty_is_a_problem(cell):
    result = read_rows(row("判断", "题干", (), "对", difficulty=cell))
    assert [p.line for p in result.problems] == [2]


@pytest.mark.parametrize(("cell", "expected"), [(None, None), (2, 2.0), (0.5, 0.5), ("3", 3.0), ("2分", 2.0)])
def test_points(cell, expected):
    assert only_draft(read_rows(row("判断", "题干", (), "对", points=cell))).points == expected


@pytest.mark.parametrize("cell", [0, -1, "两分", "nan", "inf"])
def test_bad_points_is_a_problem(cell):
    result = read_rows(row("判断", "题干", (), "对", points=cell))
    assert [p.line for p in result.problems] == [2]


def test_knowledge_points_split_on_every_separator():
    draft = only_draft(read_rows(row("判断", "题干", (), "对", knowledge="民主集中制；党的纪律;党员、干部,选拔，任用；民主集中制")))
    assert draft.knowledge_points == ["民主集中制", "党的纪律", "党员", "干部", "选拔", "任用"]


def test_header_variants_and_any_column_order_and_missing_optional_columns():
    header = ["  答案解析", "正确答案", "题 目", "试题类型", "所属科目", "选项Ａ", "B选项", "难度（1-5）", "*分值"]
    data = workbook_bytes([header, ["见党章", "b", "党的最高领导机关是", "单选题", "理论", "中央委员会", "中央政治局", "较难", 2]])
    draft = only_draft(xlsx.read(data))
    assert (draft.type, draft.stem, draft.options, draft.answer) == ("single", "党的最高领导机关是", ["中央委员会", "中央政治局"], "B")
    assert (draft.explanation, draft.subject, draft.difficulty, draft.points) == ("见党章", "理论", 4, 2.0)
    assert (draft.knowledge_points, draft.source) == ([], "")


def test_unknown_columns_are_ignored():
    draft = only_draft(xlsx.read(workbook_bytes([["序号", *HEADER, "备注"], [1, *row("判断", "题干", (), "对"), "备注"]])))
    assert draft.stem == "题干"


def test_empty_rows_are_skipped_and_row_numbers_stay_excel_rows():
    rows = [HEADER, row("判断", "第二行", (), "对"), [], [None, "  ", None], row("判断", "第五行", (), "错")]
    result = xlsx.read(workbook_bytes(rows))
    assert [(d.line, d.stem) for d in result.drafts] == [(2, "第二行"), (5, "第五行")]


def test_a_row_with_only_unknown_columns_filled_is_empty():
    result = xlsx.read(workbook_bytes([["序号", *HEADER], [1, *row("判断", "题干", (), "对")], [2]]))
    assert result.problems == [] and len(result.drafts) == 1


def test_a_header_without_questions_is_a_problem():
    result = xlsx.read(workbook_bytes([HEADER]))
    assert len(result.problems) == 1 and result.drafts == []


def test_the_question_sheet_need_not_be_the_first():
    data = workbook_bytes([HEADER, row("判断", "题干", (), "对")], title="题目",
                          before_sheets=[("说明", [["请在下一个工作表填写"]])])
    assert only_draft(xlsx.read(data)).stem == "题干"


def test_a_wrongly_stored_sheet_size_loses_no_row():
    data = workbook_bytes([HEADER, *[row("判断", f"第{n}题", (), "对") for n in range(5)]])
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content, n = re.subn(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1"/>', content)
                assert n == 1
            dst.writestr(info, content)
    assert len(xlsx.read(out.getvalue()).drafts) == 5


# --- damaged and hostile files -----------------------------------------------------------------

def _zip_bytes(members):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return out.getvalue()


def test_a_zip_bomb_is_refused_with_a_problem_not_an_exception():
    bomb = _zip_bytes({
        "[Content_Types].xml": "<Types/>",
        "xl/workbook.xml": "<workbook/>",
        "xl/worksheets/sheet1.xml": b"<" + b" " * (60 * 1024 * 1024) + b">",
    })
    assert len(bomb) < 1024 * 1024
    result = xlsx.read(bomb)
    assert result.drafts == [] and len(result.problems) == 1
    assert "压缩" in str(result.problems[0])
    assert formats.detect(bomb, "题库.xlsx") == "xlsx"
    via_registry = formats.read(bomb, "题库.xlsx")
    assert via_registry.drafts == [] and via_registry.problems


@pytest.mark.parametrize(
    "data",
    [
        b"not a zip at all",
        b"PK\x03\x04 broken",
        _zip_bytes({"word/document.xml": "<w:document/>"}),
        _zip_bytes({"xl/workbook.xml": "<workbook><sheets>", "[Content_Types].xml": "<Types/>"}),
    ],
)
def test_files_that_are_not_workbooks_are_a_problem(data):
    result = xlsx.read(data)
    assert result.drafts == [] and len(result.problems) == 1 and result.problems[0].line is None


# --- sniffing ----------------------------------------------------------------------------------

def test_sniff_is_most_certain_for_our_header():
    ours = workbook_bytes([HEADER, row("判断", "题干", (), "对")])
    other = workbook_bytes([["姓名", "单位"], ["张三", "组织部"]])
    partial = workbook_bytes([["题目", "正确答案", "答案解析"], ["题干", "对", ""]])
    assert xlsx.sniff(ours) == 90
    assert 10 < xlsx.sniff(partial) < 90
    assert xlsx.sniff(other) == 10
    assert xlsx.sniff(b"\xef\xbb\xbf\xe9\xa2\x98\xe5\x9e\x8b,\xe9\xa2\x98\xe5\xb9\xb2\n") == 0
    assert xlsx.sniff(_zip_bytes({"word/document.xml": "<x/>"})) == 0
    assert formats.detect(ours, "renamed.dat") == "xlsx"


def test_peek_reads_the_header_from_shared_and_inline_strings():
    data = workbook_bytes([HEADER, row("判断", "题干", (), "对")])
    rows = xlsx.peek_rows(data, max_rows=2)
    assert rows[0] == HEADER
    assert rows[1][:2] == ["判断", "题干"]


# --- writing and round trips -------------------------------------------------------------------

def sample_drafts():
    return [
        QuestionDraft(type="single", stem="=党的最高领导机关是（ ）。", options=["-中央委员会", "+中央政治局", "@书记处"],
                      answer="A", explanation="见党章", difficulty=1, points=1.0, subject="理论",
                      knowledge_points=["组织制度", "民主集中制"], source="《中国共产党章程》第十条"),
        QuestionDraft(type="multiple", stem="下列属于党的纪律的有", options=["政治纪律", "组织纪律", "宣传纪律"],
                      answer=["A", "B"], difficulty=2, points=0.5),
        QuestionDraft(type="true_false", stem="'=预备党员的预备期为一年。", answer=False, explanation="'引号开头"),
        QuestionDraft(type="fill_blank", stem="预备期为（ ）年，从___之日算起。", answer=[["一", "1"], ["支部大会通过"]]),
        QuestionDraft(type="short_answer", stem="简述“四个服从”。\n（答出要点即可）",
                      answer={"reference": "党员个人服从党的组织……", "keywords": [["个人服从组织", "个人服从集体"], ["少数服从多数"]]},
                      points=5),
    ]


def with_lines(drafts, first=2):
    for n, d in enumerate(drafts):
        d.line = first + n
    return drafts


def test_write_then_read_gives_the_same_drafts():
    drafts = sample_drafts()
    result = xlsx.read(xlsx.write(drafts))
    assert result.problems == []
    assert result.drafts == with_lines(sample_drafts())


def test_export_neutralises_formula_starts_and_reads_them_back():
    data = xlsx.write(sample_drafts())
    ws = load_workbook(io.BytesIO(data))["题目"]
    assert ws["B2"].value == "'=党的最高领导机关是（ ）。"
    assert ws["B2"].data_type == "s"
    assert [ws["C2"].value, ws["D2"].value, ws["E2"].value] == ["'-中央委员会", "'+中央政治局", "'@书记处"]
    assert ws["B4"].value == "''=预备党员的预备期为一年。"
    assert ws["L4"].value == "'引号开头"  # nothing to neutralise: left as is
    for r in ws.iter_rows():
        for cell in r:
            assert cell.data_type != "f"


@pytest.mark.parametrize(
    ("text", "written"),
    [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
     ("\x00=x", "'=x"), ("'=x", "''=x"), ("''+x", "'''+x"), ("'abc", "'abc"), ("'", "'"), ("a=b", "a=b"), ("", "")],
)
def test_the_neutralising_rule(text, written):
    assert template_rows.export_text(text) == written
    if "\x00" not in text:
        assert template_rows.unneutralize(written) == text


def test_header_is_bold_and_frozen_with_widths_and_an_instructions_sheet():
    wb = load_workbook(io.BytesIO(xlsx.write(sample_drafts())))
    assert wb.sheetnames == ["题目", "填写说明"]
    ws = wb["题目"]
    assert [c.value for c in ws[1]] == template_rows.header_row()
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["B"].width >= 40
    notes = " ".join(str(c.value) for r in wb["填写说明"].iter_rows() for c in r if c.value)
    for word in ("题型", "题干", "选项A", "答案", "解析", "难度", "分值", "科目", "知识点", "出处", "关键词",
                 "对/错", "√/×", "T/F", "A,C,D", "|", "/", "单引号"):
        assert word in notes, word


def test_the_template_download_imports_cleanly_with_one_row_of_each_type():
    result = xlsx.read(xlsx.template_bytes())
    assert result.problems == [] and result.skipped == []
    assert [d.type for d in result.drafts] == ["single", "multiple", "true_false", "fill_blank", "short_answer"]
    assert [d.line for d in result.drafts] == [2, 3, 4, 5, 6]
    assert result.drafts == with_lines(xlsx.example_drafts())
    assert xlsx.sniff(xlsx.template_bytes()) == 90


def test_hand_made_fixture_reads():
    result = xlsx.read((FIXTURES / "template-variants.xlsx").read_bytes())
    assert result.problems == []
    assert [d.type for d in result.drafts] == ["single", "multiple", "true_false", "fill_blank", "short_answer", "true_false"]
    assert [d.line for d in result.drafts] == [2, 3, 4, 6, 7, 8]
    single, multiple, tf, fill, short, tf2 = result.drafts
    assert single.answer == "C" and single.difficulty == 2 and single.points == 1.0
    assert multiple.answer == ["A", "B", "D"]
    assert tf.answer is True and tf2.answer is False
    assert fill.answer == [["民主集中制"]]
    assert short.answer["keywords"] == [["四个服从"], ["个人服从组织", "党员个人服从党的组织"]]


# --- hypothesis: export → import is the identity -----------------------------------------------

_WORD_CHARS = "党的组织工作条例干部考核学习民主集中制中央委员会abcXYZ0123 、，。！？《》“”"
_ANY_CHARS = _WORD_CHARS + "=+-@'\n（）()_【】|/；;"
_DANGER = st.sampled_from(["", "", "=", "+", "-", "@", "'=", "'", "''-"])


def _text(alphabet, min_size=1):
    return st.builds(lambda p, t: (p + t).strip(), _DANGER, st.text(alphabet, min_size=min_size, max_size=20)).filter(bool)


_KP_CHARS = "".join(c for c in _WORD_CHARS if c not in "、，")  # 知识点 separators excluded


def _plain(alphabet=_WORD_CHARS):
    return st.text(alphabet, min_size=1, max_size=10).map(str.strip).filter(bool)


texts = _text(_ANY_CHARS)
optional_texts = st.one_of(st.just(""), texts)
common = dict(
    explanation=optional_texts,
    difficulty=st.integers(1, 5),
    # 分值 as organizers give it (Excel keeps 15 significant digits, so arbitrary floats would not survive)
    points=st.one_of(st.none(), st.integers(1, 100_000).map(lambda n: n / 100)),
    subject=optional_texts,
    knowledge_points=st.lists(_plain(_KP_CHARS), max_size=3, unique=True),
    source=optional_texts,
)


@st.composite
def choice_drafts(draw, qtype):
    options = draw(st.lists(texts, min_size=2, max_size=8))
    if qtype == "single":
        answer = "ABCDEFGH"[draw(st.integers(0, len(options) - 1))]
    else:
        answer = sorted(draw(st.sets(st.sampled_from("ABCDEFGH"[: len(options)]), min_size=1)))
    return QuestionDraft(type=qtype, stem=draw(texts), options=options, answer=answer,
                         **{k: draw(v) for k, v in common.items()})


@st.composite
def fill_drafts(draw):
    blank_free = "".join(c for c in _ANY_CHARS if c not in "（）()_【】")
    # text between two blanks is never empty: "______" is one blank, not two
    middle = draw(st.lists(st.text(blank_free, min_size=1, max_size=8), max_size=3))
    pieces = [draw(st.text(blank_free, max_size=8)), *middle, draw(st.text(blank_free, max_size=8))]
    blanks = [draw(st.sampled_from(["（ ）", "___", "【】", "（）"])) for _ in pieces[1:]]
    stem = pieces[0] + "".join(b + p for b, p in zip(blanks, pieces[1:]))
    stem = draw(_DANGER) + stem.strip()
    answer = [draw(st.lists(_text(_WORD_CHARS), min_size=1, max_size=3)) for _ in blanks]
    return QuestionDraft(type="fill_blank", stem=stem, answer=answer, **{k: draw(v) for k, v in common.items()})


drafts_strategy = st.one_of(
    choice_drafts("single"),
    choice_drafts("multiple"),
    st.builds(QuestionDraft, type=st.just("true_false"), stem=texts, answer=st.booleans(), **common),
    fill_drafts(),
    st.builds(
        QuestionDraft, type=st.just("short_answer"), stem=texts,
        answer=st.fixed_dictionaries({"reference": texts, "keywords": st.lists(st.lists(_plain(), min_size=1, max_size=3), max_size=3)}),
        **common,
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(drafts_strategy, min_size=1, max_size=6))
def test_round_trip_property(drafts):
    expected = [QuestionDraft(**{**d.__dict__, "line": n}) for n, d in enumerate(drafts, start=2)]
    result = xlsx.read(xlsx.write(drafts))
    assert result.problems == []
    assert result.drafts == expected
