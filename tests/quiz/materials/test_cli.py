"""`quiz import-material` on the real regulation pairs, and `quiz import-bank` resolving 出处 against it."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from question_bank.materials.diff import diff_editions
from question_bank.materials.models import Material, MaterialArticle, MaterialEdition
from question_bank.materials.parse import parse_material
from question_bank.models import Question, QuestionVersion
from tests.factories import make_unit, make_user

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "regulations"
PAIRS = {
    "baomi-fa": ("中华人民共和国保守国家秘密法", "2010", "2024"),
    "jiancha-fa": ("中华人民共和国监察法", "2018", "2024"),
    "lifa-fa": ("中华人民共和国立法法", "2015", "2023"),
    "xingfa": ("中华人民共和国刑法", "2020", "2023"),
}


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def units(session_factory):
    with session_factory() as s, s.begin():
        root = make_unit(s, "河南省委组织部")
        city = make_unit(s, "郑州市委组织部", root)
        make_user(s, "organizer_zz", city, ("organizer",))
        make_user(s, "cadre_zz", city)
        return {"root": root.id, "city": city.id}


def _path(law: str, year: str) -> str:
    name = f"{law}-{year}" if law != "xingfa" else f"xingfa-{year}"
    return str(FIXTURES / f"{name}.txt")


def _json(result) -> dict:
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output  # exactly one JSON object, nothing else
    return json.loads(lines[0])


def _csv(tmp_path, rows, name="bank.csv") -> str:
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["题型", "题干", "答案", "解析", "出处"])
        writer.writerows(rows)
    return str(path)


@pytest.mark.parametrize("law", sorted(PAIRS))
def test_import_then_revise_prints_the_librarys_counts(runner, units, session_factory, law):
    title, old, new = PAIRS[law]
    first = _json(runner.invoke(args=["import-material", _path(law, old), "--title", title, "--edition", f"{old}年版", "--json"]))
    old_structure = parse_material(Path(_path(law, old)).read_text(encoding="utf-8"))
    new_structure = parse_material(Path(_path(law, new)).read_text(encoding="utf-8"))
    assert first == {"chapters": old_structure.chapters, "articles": len(old_structure.articles)}
    second = _json(runner.invoke(args=["import-material", _path(law, new), "--title", title, "--edition", f"{new}年版",
                                       "--revises", title, "--json"]))
    counts = diff_editions(old_structure, new_structure).counts()
    assert second == {"chapters": new_structure.chapters, "articles": len(new_structure.articles),
                      **{k: counts[k] for k in ("unchanged", "changed", "added", "removed", "renumbered")}, "flagged_questions": 0}
    assert list(second) == ["chapters", "articles", "unchanged", "changed", "added", "removed", "renumbered", "flagged_questions"]


def test_the_baomi_revision_flags_the_questions_its_statuses_imply(runner, units, session_factory, tmp_path):
    title = PAIRS["baomi-fa"][0]
    _json(runner.invoke(args=["import-material", _path("baomi-fa", "2010"), "--title", title, "--json"]))
    # 第二条 unchanged, 第五条 and 第九条 renumbered (follow), 第三条 and 第八条 changed, 第十三条 split,
    # 第三十六条 removed (flag): 4 flagged
    rows = [["判断", f"关于第{i}题的判断。", "对", "", f"《保密法》{label}"]
            for i, label in enumerate(["第二条", "第五条", "第九条", "第三条", "第八条", "第十三条", "第三十六条"], start=1)]
    imported = runner.invoke(args=["import-bank", _csv(tmp_path, rows), "--bank", "保密知识题库"])
    assert imported.exit_code == 0, imported.output
    second = _json(runner.invoke(args=["import-material", _path("baomi-fa", "2024"), "--title", title, "--edition", "2024年修订",
                                       "--revises", "保密法", "--json"]))
    assert second["flagged_questions"] == 4
    with session_factory() as s:
        found = {stem: (source, flagged) for stem, source, flagged in s.execute(
            select(QuestionVersion.stem, QuestionVersion.source, Question.needs_review)
            .join(Question, Question.current_version_id == QuestionVersion.id)
        )}
    assert [found[f"关于第{i}题的判断。"] for i in range(1, 8)] == [
        ("《保密法》第二条", False),  # unchanged
        ("《保密法》第六条", False),  # renumbered: followed silently
        ("《保密法》第十三条", False),  # renumbered (only a colon differs): followed
        ("《保密法》第三条", True),  # changed (and moved to 第五条)
        ("《保密法》第八条", True),  # changed in place
        ("《保密法》第十三条", True),  # split into 第十七条 and 第十八条
        ("《保密法》第三十六条", True),  # removed
    ]


def test_import_bank_resolves_sources_against_loaded_materials(runner, units, session_factory, tmp_path):
    assert runner.invoke(args=["import-material", _path("baomi-fa", "2010"), "--title", "中华人民共和国保守国家秘密法"]).exit_code == 0
    rows = [
        ["判断", "国家秘密受法律保护。", "对", "", "《保守国家秘密法》第九条"],
        ["判断", "国家秘密的密级分为绝密、机密、秘密三级。", "对", "", "《中华人民共和国保守国家秘密法》第十条"],
        ["判断", "保密法有第九十九条。", "错", "", "《保密法》第九十九条"],
    ]
    result = runner.invoke(args=["import-bank", _csv(tmp_path, rows), "--bank", "保密题库"])
    assert result.exit_code == 0, result.output
    with session_factory() as s:
        article = dict(s.execute(select(MaterialArticle.ref, MaterialArticle.id)).all())
        stored = dict(s.execute(select(QuestionVersion.source, QuestionVersion.source_article_id)).all())
    assert stored["《保守国家秘密法》第九条"] == article["第九条"]
    assert stored["《中华人民共和国保守国家秘密法》第十条"] == article["第十条"]
    assert stored["《保密法》第九十九条"] is None  # unresolved: listed in the plan, imported all the same


def test_human_output_and_errors(runner, units, session_factory, tmp_path):
    title = "中华人民共和国监察法"
    result = runner.invoke(args=["import-material", _path("jiancha-fa", "2018"), "--title", title, "--as", "organizer_zz", "--date", "2018-03-20"])
    assert result.exit_code == 0, result.output
    assert "已载入《中华人民共和国监察法》（第1版）：9 章，69 条。" in result.output
    with session_factory() as s:
        material = s.scalar(select(Material))
        assert material.org_unit_id == units["city"] and material.created_by is not None
        assert str(s.scalar(select(MaterialEdition.issued_on))) == "2018-03-20"
    again = runner.invoke(args=["import-material", _path("jiancha-fa", "2024"), "--title", title, "--as", "organizer_zz"])
    assert again.exit_code == 1 and "已有学习资料《中华人民共和国监察法》" in again.output
    result = runner.invoke(args=["import-material", _path("jiancha-fa", "2024"), "--title", title, "--revises", "监察法",
                                 "--as", "organizer_zz", "--edition", "2024年修正"])
    assert result.exit_code == 0, result.output
    assert "与上一版相比：修改 15，新增 7，删除 0，条号变化 40，未变 14；0 道题需复核。" in result.output
    for args, message in [
        (["--revises", "刑法"], "找不到要修订的学习资料《刑法》"),
        (["--as", "cadre_zz"], "不是组织者"),
        (["--as", "nobody"], "找不到启用的账号“nobody”"),
        (["--date", "2024/01/01"], "日期“2024/01/01”应写成 YYYY-MM-DD"),
    ]:
        result = runner.invoke(args=["import-material", _path("jiancha-fa", "2024"), "--title", "某法", *args])
        assert result.exit_code == 1 and message in result.output, (args, result.output)
    empty = tmp_path / "empty.txt"
    empty.write_text("没有条款的一段话。", encoding="utf-8")
    result = runner.invoke(args=["import-material", str(empty), "--title", "某法", "--json"])
    assert result.exit_code == 1 and "未能从正文中识别出条款" in result.output
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Material)) == 1
        assert s.scalar(select(func.count()).select_from(MaterialEdition)) == 2
