"""`quiz import-bank` and `quiz export-bank`."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from question_bank import formats
from question_bank.models import Bank, Question, QuestionVersion
from quiz.accounts.models import OrgUnit
from quiz.audit.models import AuditEntry
from tests.factories import make_bank, make_draft, make_question, make_unit, make_user

pytest.importorskip("question_bank.formats.xlsx")


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


def _xlsx(tmp_path, drafts, name="bank.xlsx"):
    path = tmp_path / name
    path.write_bytes(formats.write("xlsx", drafts))
    return path


def _every_type():
    return [make_draft(t) for t in ("single", "single", "multiple", "true_false", "fill_blank", "short_answer")]


def _count(session_factory, model=Question):
    with session_factory() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_import_creates_the_bank_and_prints_counts_by_type(runner, units, session_factory, tmp_path):
    path = _xlsx(tmp_path, _every_type())
    result = runner.invoke(args=["import-bank", str(path), "--bank", "组织工作条例题库"])
    assert result.exit_code == 0, result.output
    assert "导入完成：题库“组织工作条例题库”（新建）共 6 题（单选 2，多选 1，判断 1，填空 1，简答 1）。" in result.output
    with session_factory() as s:
        bank = s.scalar(select(Bank))
        assert (bank.name, bank.org_unit_id, bank.created_by) == ("组织工作条例题库", units["root"], None)
        assert s.scalar(select(func.count()).select_from(Question).where(Question.bank_id == bank.id)) == 6
        assert s.scalar(select(AuditEntry.action).where(AuditEntry.action == "bank.import")) == "bank.import"


def test_import_as_an_organizer_puts_the_new_bank_in_their_unit(runner, units, session_factory, tmp_path):
    result = runner.invoke(args=["import-bank", str(_xlsx(tmp_path, _every_type())), "--bank", "市题库", "--as", "organizer_zz"])
    assert result.exit_code == 0, result.output
    with session_factory() as s:
        bank = s.scalar(select(Bank))
        assert bank.org_unit_id == units["city"]
        assert set(s.scalars(select(QuestionVersion.created_by))) == {bank.created_by}


def test_import_into_a_unit_given_by_path(runner, units, session_factory, tmp_path):
    result = runner.invoke(args=["import-bank", str(_xlsx(tmp_path, _every_type())), "--bank", "市题库", "--unit", "河南省委组织部/郑州市委组织部"])
    assert result.exit_code == 0, result.output
    with session_factory() as s:
        assert s.scalar(select(Bank.org_unit_id)) == units["city"]


def test_a_file_with_an_invalid_question_prints_each_problem_by_row_and_writes_nothing(runner, units, session_factory, tmp_path):
    """Invariant: bad input gets a clear error naming the row, and nothing is half-imported."""
    drafts = _every_type()
    drafts[1].answer = "F"  # row 3
    drafts[4].answer = [["只有一个"], ["多出一个"], ["又一个"]]  # row 6: three answers for two blanks
    result = runner.invoke(args=["import-bank", str(_xlsx(tmp_path, drafts)), "--bank", "坏题库"])
    assert result.exit_code == 1
    assert "第 3 行：" in result.output and "第 6 行：" in result.output
    assert "文件中有 2 处问题，未导入任何题目。" in result.output
    assert _count(session_factory) == 0
    assert _count(session_factory, Bank) == 0  # the bank it would have created is not left behind


def test_dry_run_prints_what_would_be_imported_and_writes_nothing(runner, units, session_factory, tmp_path):
    result = runner.invoke(args=["import-bank", str(_xlsx(tmp_path, _every_type())), "--bank", "题库", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "检查通过，未写入：将导入题库“题库”（新建）共 6 题" in result.output
    assert (_count(session_factory), _count(session_factory, Bank)) == (0, 0)


def test_duplicates_are_skipped_with_their_lines_or_kept_as_new_versions(runner, units, session_factory, tmp_path):
    drafts = [make_draft("true_false", stem="已有的题"), make_draft("true_false", stem="新题"), make_draft("true_false", stem="新 题。")]
    path = _xlsx(tmp_path, drafts)
    first = runner.invoke(args=["import-bank", str(path), "--bank", "题库", "--unit", "河南省委组织部"])
    assert first.exit_code == 0, first.output
    assert "共 2 题" in first.output
    assert "跳过 1 项：\n  第 4 行：与第 3 行的题目题干相同，已跳过" in first.output
    again = runner.invoke(args=["import-bank", str(path), "--bank", "题库", "--unit", "河南省委组织部", "--duplicates", "new-version"])
    assert again.exit_code == 0, again.output
    assert "共 3 题" in again.output and "其中 3 题与已有题干相同，作为新版本加入。" in again.output
    with session_factory() as s:
        numbers = s.execute(
            select(Question.id, func.max(QuestionVersion.number))
            .join(QuestionVersion, QuestionVersion.question_id == Question.id)
            .group_by(Question.id).order_by(Question.id)
        ).all()
        assert [n for _, n in numbers] == [2, 3]


def test_import_refuses_an_account_that_cannot_manage_banks(runner, units, session_factory, tmp_path):
    result = runner.invoke(args=["import-bank", str(_xlsx(tmp_path, _every_type())), "--bank", "题库", "--as", "cadre_zz"])
    assert result.exit_code == 1
    assert "无权为该单位建立题库" in result.output
    result = runner.invoke(args=["import-bank", str(_xlsx(tmp_path, _every_type())), "--bank", "题库", "--as", "nobody"])
    assert result.exit_code == 1 and "找不到启用的账号“nobody”" in result.output
    assert _count(session_factory, Bank) == 0


def test_import_accepts_xml_for_moodle_xml(runner, units, session_factory, tmp_path):
    pytest.importorskip("question_bank.formats.moodle_xml")
    path = tmp_path / "moodle.txt"
    path.write_bytes(formats.write("moodle_xml", [make_draft("single"), make_draft("true_false")]))
    result = runner.invoke(args=["import-bank", str(path), "--bank", "题库", "--format", "xml"])
    assert result.exit_code == 0, result.output
    assert "共 2 题（单选 1，多选 0，判断 1，填空 0，简答 0）" in result.output


def test_a_file_in_no_known_format_is_refused(runner, units, session_factory, tmp_path):
    path = tmp_path / "photo.bin"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    result = runner.invoke(args=["import-bank", str(path), "--bank", "题库"])
    assert result.exit_code == 1
    assert "无法识别文件格式" in result.output


def test_a_json_dump_is_read_and_its_broken_records_named(runner, units, session_factory, tmp_path):
    path = tmp_path / "dump.json"
    path.write_text('[\n {"question": "党的根本组织原则是（ ）。", "answer": "民主集中制"},\n'
                    ' {"question": "党员有表决权。", "answer": "正确"},\n'
                    ' {"question": "以下哪项属于党的纪律？", "answer": "组织纪律"}\n]\n', "utf-8")
    result = runner.invoke(args=["import-bank", str(path), "--bank", "题库"])
    assert result.exit_code == 1
    assert "第 4 行：题干要求从选项中选择" in result.output
    assert _count(session_factory) == 0
    path.write_text('[{"question": "党的根本组织原则是（ ）。", "answer": "民主集中制"}, {"question": "党员有表决权。", "answer": "正确"}]', "utf-8")
    result = runner.invoke(args=["import-bank", str(path), "--bank", "题库", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "共 2 题（单选 0，多选 0，判断 1，填空 1，简答 0）" in result.output


def test_a_file_without_a_single_question_is_refused_not_imported_empty(runner, units, session_factory, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("会议通知\n请各单位于周五前报送材料。\n", "utf-8")
    result = runner.invoke(args=["import-bank", str(path), "--bank", "题库"])
    assert result.exit_code == 1
    assert "文件中没有找到题目" in result.output
    assert (_count(session_factory), _count(session_factory, Bank)) == (0, 0)


def test_a_file_of_only_types_the_bank_lacks_lists_them_as_skipped_and_succeeds(runner, units, session_factory, tmp_path):
    """Not a wrong file: its questions are real, of a type the bank cannot hold; each is named."""
    path = tmp_path / "matching.gift"
    path.write_text("::配对:: 将会议与年份配对。 {\n=遵义会议 -> 1935\n=古田会议 -> 1929\n=八七会议 -> 1927\n}\n", "utf-8")
    result = runner.invoke(args=["import-bank", str(path), "--bank", "题库"])
    assert result.exit_code == 0, result.output
    assert "共 0 题" in result.output and "跳过 1 项" in result.output
    assert _count(session_factory) == 0


@pytest.mark.parametrize("fmt", ["xlsx", "gift", "xml"])
def test_export_then_import_gives_the_same_count(runner, units, session_factory, tmp_path, fmt):
    from question_bank.importing import resolve_format

    pytest.importorskip(f"question_bank.formats.{resolve_format(fmt)}")
    with session_factory() as s, s.begin():
        bank = make_bank(s, s.get(OrgUnit, units["city"]), "市题库")
        for t in ("single", "multiple", "true_false", "short_answer"):
            make_question(s, bank, t)
        make_question(s, bank, "fill_blank", stem="党的根本组织原则是（ ）。", answer=[["民主集中制"]])
    out = tmp_path / f"out.{fmt}"
    result = runner.invoke(args=["export-bank", "--bank", "市题库", "--format", fmt, str(out), "--as", "organizer_zz"])
    assert result.exit_code == 0, result.output
    assert f"已导出题库“市题库”的 5 题到 {out}。" in result.output
    again = runner.invoke(args=["import-bank", str(out), "--bank", "回环"])
    assert again.exit_code == 0, again.output
    assert "共 5 题（单选 1，多选 1，判断 1，填空 1，简答 1）" in again.output


def test_export_names_the_units_when_a_bank_name_is_ambiguous(runner, units, session_factory, tmp_path):
    with session_factory() as s, s.begin():
        make_bank(s, s.get(OrgUnit, units["root"]), "题库")
        make_bank(s, s.get(OrgUnit, units["city"]), "题库")
    result = runner.invoke(args=["export-bank", "--bank", "题库", "--format", "xlsx", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 1
    assert "有 2 个名为“题库”的题库，请用 --unit 指明所属单位：河南省委组织部；河南省委组织部/郑州市委组织部" in result.output
    result = runner.invoke(args=["export-bank", "--bank", "题库", "--format", "xlsx", "--unit", "河南省委组织部", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 0, result.output
    missing = runner.invoke(args=["export-bank", "--bank", "没有", "--format", "gift", str(tmp_path / "x.gift")])
    assert missing.exit_code == 1 and "找不到题库“没有”" in missing.output


def test_import_bank_lists_sources_it_could_not_resolve(app, session, tmp_path):
    """出处 citing an article no loaded material has is a warning: the question imports and the line is named."""
    csv_path = tmp_path / "bank.csv"
    csv_path.write_text("题型,题干,答案,出处\n判断,出处测试：预备期为一年。,对,《没有载入的条例》第九条\n", encoding="utf-8")
    from tests.factories import make_unit

    make_unit(session, "河南省委组织部")
    session.commit()
    result = app.test_cli_runner().invoke(args=["import-bank", str(csv_path), "--bank", "出处测试题库"])
    assert result.exit_code == 0, result.output
    assert "出处未能对应" in result.output and "没有载入的条例" in result.output
