"""云帆 yf-exam's Excel export: one row per option, grouped by 题目序号.

Invariant (DESIGN.md): bad input gets a clear error naming the row, and nothing is half-imported.
"""
from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from question_bank import formats
from question_bank.formats import xlsx, yfexam

# Column titles and order of yf-exam's QuExportDTO (@ExcelField sort 1..11).
HEADER = ["题目序号", "题目类型", "题目内容", "整体解析", "题目图片", "题目视频", "所属题库",
          "是否正确项", "选项内容", "选项解析", "选项图片"]


def q(no, type_, content, analysis="", repos="repo-1", right="", option="", option_analysis="", *, image="", option_image=""):
    """A question's first row, as yf-exam exports it."""
    return [str(no), str(type_), content, analysis, image, "", repos, str(right), option, option_analysis, option_image]


def o(no, right, option, option_analysis="", *, option_image=""):
    """A further option row: yf-exam blanks the question columns and writes type 0."""
    return [str(no), "0", "", "", "", "", "", str(right), option, option_analysis, option_image]


def export(*rows, title="试题", header=HEADER):
    wb = Workbook()
    ws = wb.active
    ws.title = "Export"
    if title is not None:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


SAMPLE = export(
    q(1, 1, "党的最高领导机关是（ ）。", "见党章第十条", "repo-1", 1, "党的全国代表大会和它所产生的中央委员会"),
    o(1, 0, "中央政治局"),
    o(1, 0, "中央书记处"),
    q(2, 2, "下列属于党的纪律的有（ ）。", "", "repo-1,repo-2", 1, "政治纪律", "六大纪律之一"),
    o(2, 1, "组织纪律"),
    o(2, 0, "宣传纪律", "不属于"),
    q(3, 3, "预备党员的预备期为一年。", "党章第七条", "repo-1", 1, "正确"),
    o(3, 0, "错误"),
    q(4, 4, "简述民主集中制的“四个服从”。", "答出四点即可", "repo-1", 1, "个人服从组织，少数服从多数……"),
)


def test_reads_each_type_from_an_export():
    result = yfexam.read(SAMPLE)
    assert result.problems == [] and result.skipped == []
    single, multiple, tf, short = result.drafts
    assert (single.type, single.line, single.answer) == ("single", 3, "A")
    assert single.options == ["党的全国代表大会和它所产生的中央委员会", "中央政治局", "中央书记处"]
    assert single.explanation == "见党章第十条" and single.category == "repo-1"
    assert (multiple.type, multiple.line, multiple.answer) == ("multiple", 6, ["A", "B"])
    assert multiple.explanation == "A：六大纪律之一\nC：不属于"
    assert multiple.category == "repo-1,repo-2"
    assert (tf.type, tf.line, tf.answer, tf.options) == ("true_false", 9, True, [])
    assert (short.type, short.line) == ("short_answer", 11)
    assert short.answer == {"reference": "个人服从组织，少数服从多数……", "keywords": []}
    assert short.explanation == "答出四点即可"


@pytest.mark.parametrize(
    ("options", "expected"),
    [((("正确", 1), ("错误", 0)), True), ((("正确", 0), ("错误", 1)), False),
     ((("对", 0), ("错", 1)), False), ((("错误", 1), ("正确", 0)), False), ((("√", 1), ("×", 0)), True)],
)
def test_true_false_key_comes_from_the_option_marked_right(options, expected):
    (first, r1), (second, r2) = options
    result = yfexam.read(export(q(1, 3, "预备期一年。", right=r1, option=first), o(1, r2, second)))
    assert result.problems == []
    assert result.drafts[0].answer is expected


def test_subjective_question_without_option_rows_has_an_empty_reference():
    result = yfexam.read(export(q(1, 4, "谈谈你对组织工作的理解。", "开放题，言之有理即可")))
    assert result.problems == []
    draft = result.drafts[0]
    assert draft.answer == {"reference": "", "keywords": []}
    assert draft.explanation == "开放题，言之有理即可"


def test_rows_of_one_question_need_not_be_adjacent():
    result = yfexam.read(export(
        q(1, 2, "多选题", right=1, option="甲"), q(2, 1, "单选题", right=0, option="子"),
        o(1, 1, "乙"), o(2, 1, "丑"),
    ))
    assert result.problems == []
    assert [(d.options, d.answer) for d in result.drafts] == [(["甲", "乙"], ["A", "B"]), (["子", "丑"], "B")]


def test_typed_cells_and_a_file_without_the_title_row():
    data = export(
        [1, 1, "题干", "", None, None, "r", 1, "甲", None, None],
        [1.0, 0, None, None, None, None, None, 0, 2021, None, None],
        title=None,
    )
    result = yfexam.read(data)
    assert result.problems == []
    assert result.drafts[0].options == ["甲", "2021"] and result.drafts[0].line == 2


def test_the_template_instruction_row_is_ignored():
    template_row = ["正式导入，请删除此说明行：数字，相同的数字表示同一题的序列", "只能填写1、2、3、4", "问题内容", "整个问题的解析",
                    "题目图片，完整URL", "题目视频", "已存在题库的ID", "只能填写0或1", "候选答案1", "这个项是正确的", "答案图片"]
    result = yfexam.read(export(template_row, q(1, 2, "找出可以被2整除的数", right=1, option="2"), o(1, 0, "3"), o(1, 1, "6"),
                                title="试题数据"))
    assert result.problems == [] and result.skipped == []
    assert result.drafts[0].answer == ["A", "C"]


def test_problems_name_their_rows_and_lose_no_question():
    data = export(
        q(1, 1, "好题", right=1, option="甲"), o(1, 0, "乙"),          # rows 3-4
        q(2, 1, "两个正确项的单选", right=1, option="甲"), o(2, 1, "乙"),  # rows 5-6
        q(3, 2, "没有正确项", right=0, option="甲"), o(3, 0, "乙"),       # rows 7-8
        q(4, 1, "空选项", right=1, option="甲"), o(4, 0, ""),            # rows 9-10
        q(5, 9, "未知题型", right=1, option="甲"),                       # row 11
        q(6, 1, "", right=1, option="甲"),                               # row 12
        q(7, 1, "是否正确项乱填", right="也许", option="甲"), o(7, 1, "乙"),  # rows 13-14
        ["", "", "没有序号的一行", "", "", "", "", "1", "甲", "", ""],       # row 15
        ["第八题", "1", "序号不是数字", "", "", "", "", "1", "甲", "", ""],  # row 16
        q(1, 1, "另一道题却用了序号 1", right=1, option="甲"),             # row 17
        q(9, 3, "判断题选项不是对错", right=1, option="甲"), o(9, 0, "乙"),  # rows 18-19
        q(10, 1, "最后一道好题", right=0, option="甲"), o(10, 1, "乙"),     # rows 20-21
    )
    result = yfexam.read(data)
    assert [d.line for d in result.drafts] == [3, 20]
    assert [p.line for p in result.problems] == [5, 7, 10, 11, 12, 13, 15, 16, 17, 18]
    assert all(str(p).startswith(f"第 {p.line} 行：") for p in result.problems)


def test_questions_with_pictures_or_video_are_skipped_and_listed():
    result = yfexam.read(export(
        q(1, 1, "如图所示", right=1, option="甲", image="https://example.org/a.png"), o(1, 0, "乙"),
        q(2, 1, "选项是图", right=1, option="甲"), o(2, 0, "", option_image="https://example.org/b.png"),
        q(3, 1, "普通题", right=1, option="甲"), o(3, 0, "乙"),
    ))
    assert result.problems == []
    assert [(s.line, s.kind) for s in result.skipped] == [(3, "media"), (5, "media")]
    assert [d.stem for d in result.drafts] == ["普通题"]


def test_missing_columns_and_missing_header():
    no_option = export(q(1, 1, "题", right=1), header=[h for h in HEADER if h != "选项内容"])
    result = yfexam.read(no_option)
    assert len(result.problems) == 1 and "选项内容" in str(result.problems[0]) and result.problems[0].line == 2
    not_yf = xlsx.template_bytes()
    result = yfexam.read(not_yf)
    assert len(result.problems) == 1 and "题目序号" in str(result.problems[0])


def test_a_zip_bomb_is_a_problem():
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"0" * (60 * 1024 * 1024))
    result = yfexam.read(out.getvalue())
    assert result.drafts == [] and len(result.problems) == 1


def test_sniff_prefers_yfexam_for_its_export_and_the_template_for_ours():
    assert yfexam.sniff(SAMPLE) == 95
    assert yfexam.sniff(SAMPLE) > xlsx.sniff(SAMPLE)
    assert yfexam.sniff(xlsx.template_bytes()) == 0
    assert yfexam.sniff(b"\xe9\xa2\x98\xe7\x9b\xae\xe5\xba\x8f\xe5\x8f\xb7,\n") == 0
    assert formats.detect(SAMPLE, "导出的试题-1600000000000.xlsx") == "yfexam"
    assert formats.detect(xlsx.template_bytes(), "题库.xlsx") == "xlsx"
    assert len(formats.read(SAMPLE, "导出的试题.xlsx").drafts) == 4


def test_yfexam_is_read_only():
    assert not hasattr(yfexam, "write")
