"""Item statistics (question_bank.item_analysis) against values computed by hand.

The hand data set: 6 attempts × 4 one-point questions, scored right (1) or wrong (0)::

         Q1 Q2 Q3 Q4 | total
    A1    1  1  1  1 |  4
    A2    1  1  1  0 |  3
    A3    1  1  0  0 |  2
    A4    1  0  1  0 |  2
    A5    0  0  0  1 |  1
    A6    1  0  0  0 |  1

Every variance and covariance below divides by n = 6 (the ratios are the same with n − 1).
"""
from __future__ import annotations

import math

import pytest

from question_bank.item_analysis import (
    ItemScore,
    ItemSpec,
    Value,
    analyse,
    cronbach_alpha,
    kr20,
    option_shares,
    point_biserial,
    upper_lower,
)

MATRIX = [
    [1, 1, 1, 1],
    [1, 1, 1, 0],
    [1, 1, 0, 0],
    [1, 0, 1, 0],
    [0, 0, 0, 1],
    [1, 0, 0, 0],
]
SPECS = {q: ItemSpec("true_false") for q in (1, 2, 3, 4)}


def _attempts(matrix, points=1.0):
    return [{q: ItemScore(x * points, points) for q, x in zip((1, 2, 3, 4), row)} for row in matrix]


@pytest.fixture
def paper():
    return analyse(_attempts(MATRIX), SPECS)


def _item(paper, question_id):
    return next(i for i in paper.items if i.question_id == question_id)


def test_facility_is_the_mean_share_of_the_points(paper):
    """Q1: 5 of 6 right = 5/6; Q2 and Q3: 3/6; Q4: 2/6."""
    assert [i.facility.value for i in paper.items] == pytest.approx([5 / 6, 1 / 2, 1 / 2, 1 / 3])


def test_discrimination_correlates_the_item_with_the_rest_of_the_test(paper):
    """Rest-of-test = total − item.

    Q1: x = 1,1,1,1,0,1, rest = 3,2,1,1,1,0. mean x = 5/6, mean rest = 4/3. Σx·rest/6 = 7/6, so
        cov = 7/6 − 5/6·4/3 = 1/18; var x = 5/6·1/6 = 5/36; var rest = 16/6 − 16/9 = 8/9.
        r = (1/18) / √(5/36 · 8/9) = (1/18) / (√40/18) = 1/√40 ≈ 0.1581.
    Q2: x = 1,1,1,0,0,0, rest = 3,2,1,2,1,1, mean rest = 5/3. cov = 6/6 − 1/2·5/3 = 1/6;
        var x = 1/4; var rest = 20/6 − 25/9 = 5/9. r = (1/6)/√(5/36) = 1/√5 ≈ 0.4472.
    Q3: x = 1,1,0,1,0,0, rest = 3,2,2,1,1,1: the same sums as Q2, r = 1/√5.
    Q4: x = 1,0,0,0,1,0, rest = 3,3,2,2,0,1, mean rest = 11/6. cov = 3/6 − 1/3·11/6 = −1/9;
        var x = 2/9; var rest = 27/6 − 121/36 = 41/36. r = (−1/9)/√(82/324) = −2/√82 ≈ −0.2209.
    """
    assert [i.discrimination.value for i in paper.items] == pytest.approx(
        [1 / math.sqrt(40), 1 / math.sqrt(5), 1 / math.sqrt(5), -2 / math.sqrt(82)])


def test_discriminative_efficiency_divides_by_the_largest_possible_covariance(paper):
    """covmax pairs the sorted item scores with the sorted rest scores.

    Q1: sorted x = 0,1,1,1,1,1, sorted rest = 0,1,1,1,2,3: Σ = 8, covmax = 8/6 − 10/9 = 2/9;
        efficiency = (1/18)/(2/9) = 1/4.
    Q2: sorted rest = 1,1,1,2,2,3, the three 1s of x meet 2,2,3: Σ = 7, covmax = 7/6 − 5/6 = 1/3;
        efficiency = (1/6)/(1/3) = 1/2. Q3: the same, 1/2.
    Q4: sorted rest = 0,1,2,2,3,3, the two 1s meet 3,3: Σ = 6, covmax = 1 − 11/18 = 7/18;
        efficiency = (−1/9)/(7/18) = −2/7.
    """
    assert [i.efficiency.value for i in paper.items] == pytest.approx([1 / 4, 1 / 2, 1 / 2, -2 / 7])


def test_upper_and_lower_27_percent_groups(paper):
    """n = 6: round(0.27 · 6) = 2 per group. Totals 4,3 (A1, A2) are the upper group, 1,1 (A5, A6) the lower.

    Q1: upper 1,1 → 1; lower 0,1 → 1/2; D = 1/2.   Q2: 1 − 0 = 1.   Q3: 1 − 0 = 1.
    Q4: upper 1,0 → 1/2; lower 1,0 → 1/2; D = 0.
    """
    assert [i.upper_lower.value for i in paper.items] == pytest.approx([0.5, 1.0, 1.0, 0.0])


def test_cronbach_alpha_and_kr20_by_hand(paper):
    """k = 4. Item variances p·q: 5/36, 9/36, 9/36, 8/36, sum 31/36. Totals 4,3,2,2,1,1: mean 13/6,
    Σt² = 35, var = 35/6 − 169/36 = 41/36. α = 4/3 · (1 − (31/36)/(41/36)) = 4/3 · 10/41 = 40/123."""
    assert paper.alpha.value == pytest.approx(40 / 123)
    assert paper.kr20.value == pytest.approx(40 / 123)


def test_alpha_equals_kr20_on_dichotomous_items_whatever_the_points():
    """Each question worth 2 points: every variance is 4 times larger, the ratio (and α) is unchanged."""
    paper = analyse(_attempts(MATRIX, points=2.0), SPECS)
    assert paper.alpha.value == pytest.approx(paper.kr20.value)
    assert paper.alpha.value == pytest.approx(40 / 123)
    assert cronbach_alpha(MATRIX).value == pytest.approx(kr20(MATRIX).value)


def test_kr20_does_not_apply_to_partial_scores():
    """Q1 scored 0.5 for A5: α still computes, KR-20 says why it does not."""
    attempts = _attempts(MATRIX)
    attempts[4][1] = ItemScore(0.5, 1.0)
    paper = analyse(attempts, SPECS)
    assert paper.alpha.value is not None
    assert paper.kr20.value is None and "KR-20" in paper.kr20.reason.text


def test_negative_discrimination_and_low_efficiency_are_flagged(paper):
    """Q4 discriminates negatively (−0.22) and its efficiency is −2/7 < 15 %; the others are clean
    (Q1's efficiency 25 % is above the floor, its facility 0.83 inside 0.10–0.95)."""
    flagged = {i.question_id: [m.template for m in i.flags] for i in paper.items if i.flags}
    assert list(flagged) == [4]
    assert any("区分度为负" in t for t in flagged[4]) and any("区分效率低于" in t for t in flagged[4])
    assert "15%" in _item(paper, 4).flags[1].text
    assert [i.question_id for i in paper.flagged] == [4]


def test_facility_extremes_are_flagged():
    """Q1 right for 19 of 20 (0.95, not above the limit) vs 20 of 20; Q2 right for 1 of 20 (0.05 < 0.10)."""
    def run(q1_right):
        attempts = [{1: ItemScore(1.0 if n < q1_right else 0.0, 1.0), 2: ItemScore(1.0 if n == 0 else 0.0, 1.0),
                     3: ItemScore(float(n % 2), 1.0)} for n in range(20)]
        return analyse(attempts, {q: ItemSpec("true_false") for q in (1, 2, 3)})

    at_limit, above = run(19), run(20)
    assert not [m for m in at_limit.items[0].flags if "过易" in m.template]
    assert any("过易" in m.template for m in above.items[0].flags)
    assert above.items[0].facility.value == 1.0
    assert any("过难" in m.template for m in above.items[1].flags)
    assert above.items[1].facility.value == pytest.approx(0.05)


# --- degenerate cases -------------------------------------------------------------------------

def test_everyone_equal_on_an_item_gives_no_discrimination_and_a_reason():
    """Q1 right for all 20: zero variance. No NaN, no crash: None with a reason; the facility flag still fires."""
    attempts = [{1: ItemScore(1.0, 1.0), 2: ItemScore(float(n % 2), 1.0)} for n in range(20)]
    item = analyse(attempts, {1: ItemSpec("single"), 2: ItemSpec("single")}).items[0]
    for value in (item.discrimination, item.efficiency):
        assert value.value is None and "得分相同" in value.reason.text
    assert item.upper_lower.value == 0.0


def test_too_few_attempts_give_none_with_the_threshold():
    paper = analyse(_attempts(MATRIX[:4]), SPECS)
    item = paper.items[1]
    assert item.facility.value == pytest.approx(0.75)  # facility needs only one attempt
    for value in (item.discrimination, item.efficiency, item.upper_lower, paper.alpha, paper.kr20):
        assert value.value is None and value.reason.text == "作答人数少于 5 人，暂不计算"


def test_no_attempts_at_all():
    paper = analyse([], SPECS)
    assert paper.attempts == 0 and paper.alpha.value is None
    assert all(i.facility.value is None and i.facility.reason.text == "没有人作答本题" for i in paper.items)


def test_equal_totals_give_no_alpha():
    """Everyone scores exactly 2 of 4: var(total) = 0."""
    attempts = _attempts([[1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 0, 1]])
    assert analyse(attempts, SPECS).alpha.reason.text == "所有人总分相同，无法计算信度"


def test_a_single_question_paper_has_no_alpha():
    attempts = [{1: ItemScore(float(n % 2), 1.0)} for n in range(6)]
    paper = analyse(attempts, {1: ItemSpec("single")})
    assert paper.alpha.value is None and "少于 2 道题" in paper.alpha.reason.text
    # the rest of the test is empty for everyone: no correlation either
    assert paper.items[0].discrimination.reason.text == "所有人其余题目得分相同，无法计算"


def test_different_papers_per_person_give_no_alpha_but_item_figures():
    """千人千卷: A6 did not get Q4. α needs a full matrix; Q4 is analysed on the 5 attempts that had it."""
    attempts = _attempts(MATRIX)
    del attempts[5][4]
    paper = analyse(attempts, SPECS)
    assert paper.alpha.value is None and "千人千卷" in paper.alpha.reason.text
    assert _item(paper, 4).attempts == 5 and _item(paper, 4).facility.value == pytest.approx(2 / 5)


def test_responses_waiting_for_marking_are_not_counted_as_zero():
    attempts = _attempts(MATRIX)
    attempts[0][3] = ItemScore(None, 1.0)
    paper = analyse(attempts, SPECS)
    assert _item(paper, 3).facility.value is None and _item(paper, 3).facility.reason.text == "有 1 份作答待人工评分，评完后再统计"
    assert paper.alpha.value is None and not _item(paper, 3).flags
    assert _item(paper, 2).facility.value == pytest.approx(0.5)


def test_results_are_never_nan():
    """Random small data sets: every value is a finite float or None with a reason."""
    import random

    rng = random.Random(7)
    for _ in range(200):
        n, k = rng.randint(0, 8), rng.randint(1, 4)
        attempts = [{q: ItemScore(float(rng.choice((0, 0.5, 1))), 1.0) for q in range(k) if rng.random() > 0.1} for _ in range(n)]
        paper = analyse(attempts, {q: ItemSpec("single", 4) for q in range(k)})
        values = [paper.alpha, paper.kr20] + [v for i in paper.items for v in (i.facility, i.discrimination, i.efficiency, i.upper_lower)]
        for value in values:
            assert (value.value is not None and math.isfinite(value.value)) or (value.value is None and value.reason is not None)


# --- option shares ----------------------------------------------------------------------------

def test_option_shares_of_a_single_choice_question():
    """5 attempts: B, B, C, blank, B; key B. B 3/5, C 1/5, A and D 0, blank 1/5."""
    shares, blank = option_shares(ItemSpec("single", 4, "B"), ["B", "B", "C", None, "B"])
    assert [(s.key, s.count, s.share, s.correct) for s in shares] == [
        ("A", 0, 0.0, False), ("B", 3, 0.6, True), ("C", 1, 0.2, False), ("D", 0, 0.0, False)]
    assert blank == 1


def test_option_shares_of_a_multiple_choice_question_count_each_chosen_option():
    """4 attempts: AC, A, ACD, blank ([]); key AC. A 3/4, C 2/4, D 1/4, B 0; shares add up to more than 1."""
    shares, blank = option_shares(ItemSpec("multiple", 4, ["A", "C"]), [["A", "C"], ["A"], ["A", "C", "D"], []])
    assert {s.key: (s.count, s.share, s.correct) for s in shares} == {
        "A": (3, 0.75, True), "B": (0, 0.0, False), "C": (2, 0.5, True), "D": (1, 0.25, False)}
    assert blank == 1


def test_analyse_reports_shares_only_for_choice_questions():
    attempts = [{1: ItemScore(1.0, 1.0, "A"), 2: ItemScore(1.0, 1.0, True)}]
    paper = analyse(attempts, {1: ItemSpec("single", 2, "A"), 2: ItemSpec("true_false", 0, True)})
    assert [(s.key, s.share) for s in paper.items[0].options] == [("A", 1.0), ("B", 0.0)]
    assert paper.items[0].blank_share == 0.0
    assert paper.items[1].options == [] and paper.items[1].blank_share is None


def test_the_building_blocks_refuse_too_few_values():
    assert point_biserial([1, 0], [1, 0]) == Value.missing("作答人数少于 %(n)d 人，暂不计算", n=5)
    assert upper_lower([1, 0], [1, 0], min_attempts=2).value == 1.0
