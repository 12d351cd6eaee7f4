"""Exports: neutralised cells, frozen header, widths, the filters sheet, BOM, Chinese filenames."""
from __future__ import annotations

import csv
import io
from urllib.parse import quote

import pytest
from flask import Flask
from openpyxl import load_workbook

from quiz.reports.exporting import csv_response, neutralise, xlsx_response


@pytest.mark.parametrize(("value", "expected"), [
    ("=SUM(A1:A2)", "'=SUM(A1:A2)"),
    ("+86 138", "'+86 138"),
    ("-1+2", "'-1+2"),
    ("@cmd", "'@cmd"),
    ("\tx", "'\tx"),
    ("\rx", "'\rx"),
    ("张三", "张三"),
    ("a=b", "a=b"),
    ("", ""),
    (None, None),
    (-3, -3),
    (92.5, 92.5),
    (0, 0),
])
def test_neutralise_prefixes_formula_text_and_keeps_numbers(value, expected):
    assert neutralise(value) == expected


def test_neutralise_keeps_number_types():
    assert type(neutralise(-3)) is int
    assert type(neutralise(-2.5)) is float


@pytest.fixture
def flask_app():
    app = Flask(__name__)
    with app.test_request_context():
        yield app


def _body(response) -> bytes:
    response.direct_passthrough = False
    return response.get_data()


def test_xlsx_response_neutralises_cells_freezes_header_and_lists_filters(flask_app):
    rows = [["=HYPERLINK(\"x\")", "郑州市委组织部", 95.5, 1], ["@张三", "-洛阳", -2, 2]]
    response = xlsx_response("竞赛成绩.xlsx", "成绩", ["姓名", "单位", "得分", "名次"], iter(rows),
                             filters=[("单位", "郑州市委组织部"), ("搜索", "=1+1")], widths=[12, 30, 8, 6])
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = response.headers["Content-Disposition"]
    assert "attachment" in disposition
    assert f"filename*=UTF-8''{quote('竞赛成绩.xlsx')}" in disposition
    wb = load_workbook(io.BytesIO(_body(response)))
    assert wb.sheetnames == ["成绩", "筛选条件"]
    ws = wb["成绩"]
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["B"].width == 30
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    assert values == [["姓名", "单位", "得分", "名次"],
                      ["'=HYPERLINK(\"x\")", "郑州市委组织部", 95.5, 1],
                      ["'@张三", "'-洛阳", -2, 2]]
    assert [list(r) for r in wb["筛选条件"].iter_rows(values_only=True)] == [
        ["条件", "取值"], ["单位", "郑州市委组织部"], ["搜索", "'=1+1"]]


def test_csv_response_has_bom_and_neutralised_cells(flask_app):
    response = csv_response("单位汇总.csv", ["单位", "平均分"], iter([["+市委", 88.5], ["县委", -1]]),
                            filters=[("年份", "2026")])
    body = _body(response)
    assert body.startswith(b"\xef\xbb\xbf")
    assert f"filename*=UTF-8''{quote('单位汇总.csv')}" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows == [["单位", "平均分"], ["'+市委", "88.5"], ["县委", "-1"], [], ["筛选条件"], ["年份", "2026"]]


def test_xlsx_number_formats_apply_to_numbers_only(flask_app):
    response = xlsx_response("x.xlsx", "s", ["单位", "参与率"], iter([["金水", 0.6667], ["二七", None]]), formats=[None, "0.0%"])
    ws = load_workbook(io.BytesIO(_body(response))).worksheets[0]
    assert ws["B2"].value == 0.6667 and ws["B2"].number_format == "0.0%"
    assert ws["B3"].value is None
