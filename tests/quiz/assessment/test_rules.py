"""The plan's arithmetic on hand-computed examples: each component, the weights, exemptions, bands, the 优秀 cap."""
from __future__ import annotations

import pytest

from quiz.assessment import rules
from quiz.assessment.rules import AssessmentError, Facts

COMPONENTS = rules.check_components([
    {"key": "c1", "kind": "contest", "name": "竞赛", "weight": 40, "contest_id": 7},
    {"key": "c2", "kind": "practice", "name": "练习题量", "weight": 20, "measure": "volume", "target": 200},
    {"key": "c3", "kind": "practice", "name": "正确率", "weight": 10, "measure": "accuracy"},
    {"key": "c4", "kind": "manual", "name": "现场竞赛", "weight": 20, "max": 50},
    {"key": "hours", "kind": "hours", "name": "学时", "weight": 10},
])


def facts(**overrides) -> Facts:
    f = Facts(
        contests={"c1": {"score": 72.0, "max_score": 80.0}},
        practice={"questions_practised": 150, "graded": 40, "correct": 30},
        entries={"c4": {"value": 42.0, "note": ""}},
        hours={"total": 30.0, "required": 50.0},
    )
    for name, value in overrides.items():
        setattr(f, name, value)
    return f


def values(rows):
    return {r["key"]: (r["value"], r["status"]) for r in rows}


def test_each_component_and_the_weights_on_a_hand_computed_example():
    total, rows = rules.compute_total(COMPONENTS, facts())
    # contest 72/80 = 90; practice 150/200 = 75; accuracy 30/40 = 75; manual 42/50 = 84; hours 30/50 = 60
    assert values(rows) == {"c1": (90.0, "ok"), "c2": (75.0, "ok"), "c3": (75.0, "ok"), "c4": (84.0, "ok"), "hours": (60.0, "ok")}
    # 90×.4 + 75×.2 + 75×.1 + 84×.2 + 60×.1 = 36 + 15 + 7.5 + 16.8 + 6
    assert total == 81.3
    assert [r["contribution"] for r in rows] == [36.0, 15.0, 7.5, 16.8, 6.0]


def test_practice_volume_and_hours_are_capped_at_full_marks():
    total, rows = rules.compute_total(COMPONENTS, facts(practice={"questions_practised": 900, "graded": 0, "correct": 0},
                                                        hours={"total": 80.0, "required": 50.0}))
    assert values(rows)["c2"] == (100.0, "ok")
    assert values(rows)["hours"] == (100.0, "ok")
    assert values(rows)["c3"] == (0.0, "ok")  # nothing marked: no accuracy to credit
    assert total == 36 + 20 + 0 + 16.8 + 10


def test_a_missed_contest_and_a_missing_manual_score_count_zero():
    total, rows = rules.compute_total(COMPONENTS, facts(contests={"c1": None}, entries={}))
    assert values(rows)["c1"] == (0.0, "missed")
    assert values(rows)["c4"] == (0.0, "missing")
    assert total == 15 + 7.5 + 6  # 28.5


def test_an_exemption_leaves_the_component_out_and_scales_the_other_weights():
    total, rows = rules.compute_total(COMPONENTS, facts(contests={"c1": None}, exemptions={"c1": "因公出国，经部务会批准"}))
    row = next(r for r in rows if r["key"] == "c1")
    assert (row["status"], row["value"], row["contribution"], row["reason"]) == ("exempt", None, 0.0, "因公出国，经部务会批准")
    # the other weights 20/10/20/10 sum to 60: scaled to 33.33/16.67/33.33/16.67
    assert [r["effective_weight"] for r in rows if r["key"] != "c1"] == [33.3333, 16.6667, 33.3333, 16.6667]
    # 75/3 + 75/6 + 84/3 + 60/6 = 25 + 12.5 + 28 + 10
    assert total == 75.5


@pytest.mark.parametrize("weights, shown", [((40, 30, 20), "90"), ((50, 30, 30), "110"), ((33.3, 33.3, 33.3), "99.9")])
def test_weights_must_sum_to_100_with_a_clear_message(weights, shown):
    components = [{"kind": "practice", "name": f"项{i}", "weight": w, "measure": "accuracy"} for i, w in enumerate(weights)]
    with pytest.raises(AssessmentError) as caught:
        rules.check_components(components)
    assert str(caught.value) == f"各组成部分的权重合计应为 100，现在是 {shown}"


@pytest.mark.parametrize("component, message", [
    ({"kind": "contest", "name": "竞赛", "weight": 100}, "“竞赛”没有选择竞赛"),
    ({"kind": "practice", "name": "练习", "weight": 100, "measure": "volume", "target": 0}, "“练习”的目标题量应为正整数"),
    ({"kind": "manual", "name": "现场", "weight": 100, "max": 0}, "“现场”的满分应为正数"),
    ({"kind": "manual", "name": "现场", "weight": "很多"}, "“现场”的权重应为数字"),
    ({"kind": "manual", "name": "", "weight": 100}, "第 1 个组成部分缺少名称"),
])
def test_each_bad_component_is_named(component, message):
    with pytest.raises(AssessmentError) as caught:
        rules.check_components([component])
    assert str(caught.value) == message


def test_bands_default_and_civil_service_preset():
    assert rules.check_bands(rules.DEFAULT_BANDS) == [["优秀", 90.0], ["良好", 80.0], ["合格", 60.0], ["不合格", 0.0]]
    assert [b[0] for b in rules.check_bands(rules.CIVIL_SERVICE_BANDS)] == ["优秀", "称职", "基本称职", "不称职"]
    grades = rules.assign_grades({1: 90.0, 2: 89.99, 3: 60.0, 4: 59.99}, rules.DEFAULT_BANDS, None)
    assert [grades[i][0] for i in (1, 2, 3, 4)] == ["优秀", "良好", "合格", "不合格"]
    grades = rules.assign_grades({1: 91.0, 2: 76.0, 3: 74.0, 4: 10.0}, rules.CIVIL_SERVICE_BANDS, None)
    assert [grades[i][0] for i in (1, 2, 3, 4)] == ["优秀", "称职", "基本称职", "不称职"]


@pytest.mark.parametrize("bands, message", [
    ([["优秀", 90], ["合格", 95], ["不合格", 0]], "等次分数线应从高到低排列：“合格”的分数线应低于上一等次"),
    ([["优秀", 90], ["合格", 60]], "最低等次“合格”的分数线应为 0，使每个人都有等次"),
    ([["优秀", 90]], "至少需要两个等次"),
    ([["优秀", 190], ["差", 0]], "等次“优秀”的分数线应在 0 到 100 之间"),
])
def test_bad_bands_are_refused_with_a_reason(bands, message):
    with pytest.raises(AssessmentError) as caught:
        rules.check_bands(bands)
    assert str(caught.value) == message


def test_the_excellent_cap_moves_those_beyond_it_to_the_next_band_by_rank():
    totals = dict(enumerate([95, 94, 93, 92, 91, 85, 70, 60, 50, 40], start=1))
    grades = rules.assign_grades(totals, rules.DEFAULT_BANDS, 20)  # 20 % of 10 = 2 may be 优秀
    assert [grades[i][0] for i in range(1, 11)] == ["优秀", "优秀", "良好", "良好", "良好", "良好", "合格", "合格", "不合格", "不合格"]
    assert [grades[i][1] for i in range(1, 6)] == ["", "", "capped", "capped", "capped"]
    assert [grades[i][2] for i in range(1, 11)] == list(range(1, 11))  # ranks
    uncapped = rules.assign_grades(totals, rules.DEFAULT_BANDS, None)
    assert [uncapped[i][0] for i in range(1, 6)] == ["优秀"] * 5


def test_the_cap_rounds_down_and_ties_at_the_cut_all_move_down():
    # 15 % of 10 = 1.5 → at most 1; the two 93s tie for the last place: both move down
    totals = dict(enumerate([93, 93, 91, 80, 70, 60, 50, 40, 30, 20], start=1))
    grades = rules.assign_grades(totals, rules.DEFAULT_BANDS, 15)
    assert [grades[i][0] for i in (1, 2, 3)] == ["良好", "良好", "良好"]
    assert [grades[i][2] for i in (1, 2, 3)] == [1, 1, 3]  # tied totals share a rank
    # 20 % of 10 = 2: the two 93s fit, the 91 does not
    grades = rules.assign_grades(totals, rules.DEFAULT_BANDS, 20)
    assert [grades[i][0] for i in (1, 2, 3)] == ["优秀", "优秀", "良好"]
    # 30 % of 10 = 3: everyone at 90 or above fits, the cap changes nothing
    grades = rules.assign_grades(totals, rules.DEFAULT_BANDS, 30)
    assert [grades[i][1] for i in (1, 2, 3)] == ["", "", ""]
