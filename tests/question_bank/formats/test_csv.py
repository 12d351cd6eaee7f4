"""The import template saved as CSV: encodings, delimiters, problems by row and round trips.

Invariant (DESIGN.md): bad input gets a clear error naming the row, and nothing is half-imported.
"""
from __future__ import annotations

import csv as stdlib_csv
import io
from pathlib import Path

import pytest

from question_bank import formats
from question_bank.drafts import QuestionDraft
from question_bank.formats import csv, xlsx

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "xlsx"

HEADER = "题型,题干,选项A,选项B,选项C,选项D,答案,解析,难度,分值,科目,知识点,出处"
ROWS = [
    "单选,党的最高领导机关是（ ）。,中央委员会,中央政治局,中央书记处,中央纪委,a,见党章,易,1,理论,组织制度,《中国共产党章程》第十条",
    "多选,下列属于党的纪律的有,政治纪律,组织纪律,宣传纪律,群众纪律,\"A,B,D\",,3,2,理论,党的纪律；纪律,",
    "判断,预备党员的预备期为一年。,,,,,√,,,,,,",
    "填空,预备期为（ ）年，从___之日算起。,,,,,一/1|支部大会通过,,,,,,",
    "简答,简述“四个服从”。,,,,,党员个人服从党的组织……,,较难,5,,,",
]


def csv_text(*rows, header=HEADER):
    return "\n".join([header, *rows]) + "\n"


def test_utf8_without_bom_reads_all_types_with_excel_row_numbers():
    result = csv.read(csv_text(*ROWS).encode("utf-8"))
    assert result.problems == []
    assert [d.type for d in result.drafts] == ["single", "multiple", "true_false", "fill_blank", "short_answer"]
    assert [d.line for d in result.drafts] == [2, 3, 4, 5, 6]
    single, multiple, tf, fill, short = result.drafts
    assert (single.answer, single.difficulty, single.points, single.source) == ("A", 1, 1.0, "《中国共产党章程》第十条")
    assert multiple.answer == ["A", "B", "D"] and multiple.knowledge_points == ["党的纪律", "纪律"]
    assert tf.answer is True
    assert fill.answer == [["一", "1"], ["支部大会通过"]]
    assert short.answer == {"reference": "党员个人服从党的组织……", "keywords": []}


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "gb18030"])
def test_bom_and_gbk_files_read_the_same(encoding):
    data = csv_text(*ROWS).replace("\n", "\r\n").encode(encoding)
    expected = csv.read(csv_text(*ROWS).encode("utf-8"))
    result = csv.read(data)
    assert result.problems == []
    assert result.drafts == expected.drafts


def test_a_double_bom_is_tolerated():
    data = ("\ufeff\ufeff" + csv_text(*ROWS)).encode("utf-8")
    assert len(csv.read(data).drafts) == 5


def test_undecodable_bytes_are_a_problem_not_an_exception():
    result = csv.read(csv_text(*ROWS).encode("utf-8") + b"\xff\xfe\xfd\x81\x00\xff")
    assert result.drafts == [] and len(result.problems) == 1


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_comma_tab_and_semicolon_delimiters(delimiter):
    out = io.StringIO()
    writer = stdlib_csv.writer(out, delimiter=delimiter, lineterminator="\n")
    for line in stdlib_csv.reader(io.StringIO(csv_text(*ROWS))):
        writer.writerow(line)
    result = csv.read(out.getvalue().encode("utf-8"))
    assert result.problems == []
    assert len(result.drafts) == 5
    assert result.drafts[1].answer == ["A", "B", "D"]


def test_header_names_win_over_a_sniffer_fooled_by_commas_in_text():
    # tab-separated, but the stems are full of ASCII commas
    rows = ["\t".join(["单选", "甲,乙,丙,丁,戊", "A,1", "B,2", "A"]), "\t".join(["判断", "a,b,c,d,e,f", "", "", "对"])]
    text = "\n".join(["题型\t题干\t选项A\t选项B\t答案", *rows])
    result = csv.read(text.encode("utf-8"))
    assert result.problems == []
    assert [d.stem for d in result.drafts] == ["甲,乙,丙,丁,戊", "a,b,c,d,e,f"]


ANSWER_SPELLINGS = [
    ("单选", "B", "B"), ("单选", "b", "B"), ("单选", "Ｂ", "B"),
    ("多选", "ACD", ["A", "C", "D"]), ("多选", "\"A,C,D\"", ["A", "C", "D"]), ("多选", "A、C、D", ["A", "C", "D"]),
    ("多选", "A C D", ["A", "C", "D"]),
    ("判断", "对", True), ("判断", "错", False), ("判断", "正确", True), ("判断", "错误", False),
    ("判断", "√", True), ("判断", "×", False), ("判断", "T", True), ("判断", "F", False),
    ("判断", "A", True), ("判断", "B", False),
]


@pytest.mark.parametrize(("type_", "answer", "expected"), ANSWER_SPELLINGS)
def test_answer_spellings(type_, answer, expected):
    options = "甲,乙,丙,丁" if "选" in type_ else ",,,"
    result = csv.read(csv_text(f"{type_},题干,{options},{answer},,,,,,").encode("utf-8"))
    assert result.problems == []
    assert result.drafts[0].answer == expected


def test_row_numbers_count_records_not_physical_lines():
    rows = [
        "简答,\"简述“四个服从”，\n分两行写。\",,,,,参考答案,,,,,,",
        "",
        "单选,只有两个选项,甲,乙,,,C,,,,,,",
    ]
    result = csv.read(csv_text(*rows).encode("utf-8"))
    assert result.drafts[0].stem == "简述“四个服从”，\n分两行写。"
    assert result.drafts[0].line == 2
    assert [p.line for p in result.problems] == [4]


def test_one_bad_row_among_good_ones_names_that_row_and_loses_no_row():
    rows = list(ROWS)
    rows.insert(2, "判断,预备期一年。,,,,,也许,,,,,,")
    rows.append("填空,党的纪律包括（ ）纪律和（ ）纪律。,,,,,政治,,,,,,")
    result = csv.read(csv_text(*rows).encode("utf-8"))
    assert [p.line for p in result.problems] == [4, 8]
    assert [d.line for d in result.drafts] == [2, 3, 5, 6, 7]


def test_missing_header_is_one_problem():
    result = csv.read("题干,答案\n题,对\n".encode("utf-8"))
    assert len(result.problems) == 1 and "题型" in str(result.problems[0])


def test_round_trip_write_then_read_is_exact():
    drafts = [
        QuestionDraft(type="single", stem="=1+1 是公式吗", options=["-是", "+否", "@不一定"], answer="B",
                      explanation="'=不是", difficulty=4, points=0.5, subject="业务", knowledge_points=["导出", "安全"],
                      source="《规定》"),
        QuestionDraft(type="multiple", stem="多,选,题", options=["a\"b", "c\nd", "e"], answer=["A", "C"]),
        QuestionDraft(type="true_false", stem="判断\t题", answer=False, points=2),
        QuestionDraft(type="fill_blank", stem="（ ）和___", answer=[["甲", "甲一"], ["乙"]]),
        QuestionDraft(type="short_answer", stem="简答", answer={"reference": "参考", "keywords": [["要点", "要 点"], ["二"]]}),
    ]
    data = csv.write(drafts)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "'=1+1 是公式吗" in text and "'-是" in text and "''=不是" in text
    result = csv.read(data)
    assert result.problems == []
    for n, d in enumerate(drafts, start=2):
        d.line = n
    assert result.drafts == drafts


def test_csv_and_xlsx_exports_read_back_to_the_same_drafts():
    drafts = xlsx.read(xlsx.template_bytes()).drafts
    assert csv.read(csv.write(drafts)).drafts == drafts


def test_sniff():
    assert csv.sniff(csv_text(*ROWS).encode("utf-8")) == 80
    assert csv.sniff(csv_text(*ROWS).encode("gbk")) == 80
    assert csv.sniff(csv_text(*ROWS).encode("utf-8-sig")) == 80
    assert csv.sniff("题目,正确答案,答案解析\n".encode("utf-8")) == 40
    assert csv.sniff(b"name,unit,phone\n") == 1
    assert csv.sniff(b"::Q1:: 1+1=2 {T}\n") == 0
    assert csv.sniff(xlsx.template_bytes()) == 0
    assert formats.detect(csv_text(*ROWS).encode("gbk"), "题库.csv") == "csv"


def test_hand_made_gbk_fixture_reads():
    data = (FIXTURES / "template-gbk.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    result = csv.read(data)
    assert result.problems == []
    assert [d.type for d in result.drafts] == ["single", "true_false", "fill_blank"]
    assert result.drafts[0].answer == "B"
