"""The arithmetic of an assessment plan, as pure functions (no database, no Flask).

Components (each ``{"key", "kind", "name", "weight", ...}``, weights summing to 100) give a value
on a 0–100 scale:

- ``contest``: the counted attempt's score as a share of its maximum × 100 (``contest_id``;
  ``counts`` ``best`` or ``last``, the contest's own rule when not given). No finalised attempt:
  0 (``missed``).
- ``practice``: ``measure`` ``volume`` — questions practised in the year against ``target``,
  capped at 100 (min(answers / target, 1) × 100); or ``accuracy`` — right / marked × 100 (0
  when the cadre has no marked answer).
- ``manual``: a value HR entered (现场竞赛, 学时 points …) against ``max`` × 100, capped at 100;
  nothing entered counts 0 (``missing``).
- ``hours``: 学时 credited in the year against the plan's requirement, capped at 100.

A component with a recorded exemption (免考) is left out for that cadre: the remaining weights are
scaled to sum to 100 (``effective_weight = weight × 100 / Σ remaining weights``). The total is
Σ value × effective weight / 100, rounded to two decimals.

Grades: the first band whose minimum the total reaches. The optional cap on the best band
(``excellent_cap`` percent): at most ``floor(cap × N / 100)`` cadres of the N records keep it,
ranked by total (highest first); the rest move to the next band. Tie rule: cadres whose totals
are equal at the cut-off all move down, so the cap is never exceeded.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from question_bank.messages import BankError, N_

KINDS = ("contest", "practice", "manual", "hours")
MEASURES = ("volume", "accuracy")
DEFAULT_BANDS: list[list[Any]] = [["优秀", 90.0], ["良好", 80.0], ["合格", 60.0], ["不合格", 0.0]]
CIVIL_SERVICE_BANDS: list[list[Any]] = [["优秀", 90.0], ["称职", 75.0], ["基本称职", 60.0], ["不称职", 0.0]]
BAND_PRESETS = {"default": DEFAULT_BANDS, "civil_service": CIVIL_SERVICE_BANDS}
DEFAULT_HOURS_RULE = {"per_passed_contest": 0.5, "per_passed_mock": 0.5, "per_practice_hour": 1.0}
HOURS_RULE_KEYS = tuple(DEFAULT_HOURS_RULE)
_KEY = re.compile(r"^[a-z0-9_]{1,20}$")


class AssessmentError(BankError):
    """A plan or record operation refused, with a message HR can act on."""


def _number(value: Any, message: str, **params: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise AssessmentError(message, **params) from None
    if math.isnan(number) or math.isinf(number):
        raise AssessmentError(message, **params)
    return number


def check_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The components, normalised; raises AssessmentError naming the first problem."""
    if not components:
        raise AssessmentError(N_("考核方案至少需要一个组成部分"))
    seen: set[str] = set()
    out = []
    for n, raw in enumerate(components, start=1):
        c = dict(raw)
        kind = c.get("kind")
        if kind not in KINDS:
            raise AssessmentError(N_("第 %(n)d 个组成部分的类型无效"), n=n)
        key = str(c.get("key") or f"c{n}")
        if not _KEY.match(key) or key in seen or key == "hours" and kind != "hours":
            raise AssessmentError(N_("第 %(n)d 个组成部分的代号“%(key)s”无效或重复"), n=n, key=key)
        seen.add(key)
        c["key"] = key
        c["name"] = str(c.get("name") or "").strip()[:50]
        if not c["name"]:
            raise AssessmentError(N_("第 %(n)d 个组成部分缺少名称"), n=n)
        c["weight"] = _number(c.get("weight"), N_("“%(name)s”的权重应为数字"), name=c["name"])
        if c["weight"] <= 0 or c["weight"] > 100:
            raise AssessmentError(N_("“%(name)s”的权重应大于 0、不超过 100"), name=c["name"])
        if kind == "contest":
            if not c.get("contest_id"):
                raise AssessmentError(N_("“%(name)s”没有选择竞赛"), name=c["name"])
            c["contest_id"] = int(c["contest_id"])
            if c.get("counts") not in (None, "", "best", "last"):
                raise AssessmentError(N_("“%(name)s”的计分方式应为最高分或最后一次"), name=c["name"])
            c["counts"] = c.get("counts") or None
        elif kind == "practice":
            if c.get("measure") not in MEASURES:
                raise AssessmentError(N_("“%(name)s”应选择按练习题量或按正确率计分"), name=c["name"])
            if c["measure"] == "volume":
                c["target"] = _number(c.get("target"), N_("“%(name)s”的目标题量应为正整数"), name=c["name"])
                if c["target"] < 1:
                    raise AssessmentError(N_("“%(name)s”的目标题量应为正整数"), name=c["name"])
                c["target"] = int(c["target"])
        elif kind == "manual":
            c["max"] = _number(c.get("max", 100), N_("“%(name)s”的满分应为正数"), name=c["name"])
            if c["max"] <= 0:
                raise AssessmentError(N_("“%(name)s”的满分应为正数"), name=c["name"])
        out.append(c)
    total = round(sum(c["weight"] for c in out), 6)
    if abs(total - 100) > 1e-6:
        raise AssessmentError(N_("各组成部分的权重合计应为 100，现在是 %(total)s"), total=f"{total:g}")
    return out


def check_bands(bands: list[list[Any]]) -> list[list[Any]]:
    """Grade bands from best to worst, minimums strictly falling, the last one 0."""
    if len(bands) < 2:
        raise AssessmentError(N_("至少需要两个等次"))
    out, previous = [], None
    for name, minimum in bands:
        name = str(name or "").strip()[:20]
        if not name:
            raise AssessmentError(N_("等次名称不能为空"))
        minimum = _number(minimum, N_("等次“%(name)s”的分数线应为数字"), name=name)
        if not 0 <= minimum <= 100:
            raise AssessmentError(N_("等次“%(name)s”的分数线应在 0 到 100 之间"), name=name)
        if previous is not None and minimum >= previous:
            raise AssessmentError(N_("等次分数线应从高到低排列：“%(name)s”的分数线应低于上一等次"), name=name)
        out.append([name, minimum])
        previous = minimum
    if out[-1][1] != 0:
        raise AssessmentError(N_("最低等次“%(name)s”的分数线应为 0，使每个人都有等次"), name=out[-1][0])
    if len({b[0] for b in out}) != len(out):
        raise AssessmentError(N_("等次名称不能重复"))
    return out


def check_hours_rule(rule: dict[str, Any]) -> dict[str, float]:
    out = {}
    for key in HOURS_RULE_KEYS:
        value = _number(rule.get(key, 0) or 0, N_("学时折算标准应为不小于 0 的数字"))
        if value < 0:
            raise AssessmentError(N_("学时折算标准应为不小于 0 的数字"))
        out[key] = value
    return out


# --- one cadre ------------------------------------------------------------------------------

@dataclass
class Facts:
    """What was read for one cadre: per component key, the raw inputs (see ``component_value``)."""

    contests: dict[str, dict[str, Any] | None] = field(default_factory=dict)  # component key -> counted attempt or None
    practice: dict[str, Any] = field(default_factory=dict)  # questions_practised, graded, correct, ...
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)  # manual component key -> {"value", "note"}
    exemptions: dict[str, str] = field(default_factory=dict)  # component key -> reason
    hours: dict[str, Any] = field(default_factory=dict)  # total, required, and the parts


def _share(value: float, of: float) -> float:
    return min(value / of, 1.0) * 100 if of > 0 else 0.0


def component_value(component: dict[str, Any], facts: Facts) -> tuple[float, str, dict[str, Any]]:
    """(value 0–100, status ``ok``/``missed``/``missing``, the inputs used) of one component."""
    kind = component["kind"]
    if kind == "contest":
        attempt = facts.contests.get(component["key"])
        if attempt is None:
            return 0.0, "missed", {"attempt": None}
        return _share(attempt["score"] or 0.0, attempt["max_score"] or 0.0), "ok", {"attempt": attempt}
    if kind == "practice":
        p = facts.practice
        if component["measure"] == "volume":
            n = p.get("questions_practised", 0)
            return _share(n, component["target"]), "ok", {"questions_practised": n, "target": component["target"]}
        graded, correct = p.get("graded", 0), p.get("correct", 0)
        return (correct / graded * 100 if graded else 0.0), "ok", {"graded": graded, "correct": correct}
    if kind == "manual":
        entry = facts.entries.get(component["key"])
        if entry is None:
            return 0.0, "missing", {"entry": None}
        return _share(entry["value"], component["max"]), "ok", {"entry": entry, "max": component["max"]}
    hours = facts.hours
    return _share(hours.get("total", 0.0), hours.get("required", 0.0)) if hours.get("required") else 100.0, "ok", {
        "hours": hours.get("total", 0.0), "required": hours.get("required", 0.0)}


def compute_total(components: list[dict[str, Any]], facts: Facts) -> tuple[float, list[dict[str, Any]]]:
    """(total, per-component rows): each row has key, name, kind, weight, effective_weight,
    value, contribution, status (ok, missed, missing, exempt), inputs and, if exempt, the reason."""
    counted = [c for c in components if c["key"] not in facts.exemptions]
    weight_sum = sum(c["weight"] for c in counted)
    rows, total = [], 0.0
    for c in components:
        row = {"key": c["key"], "name": c["name"], "kind": c["kind"], "weight": c["weight"]}
        if c["key"] in facts.exemptions:
            row.update(effective_weight=0.0, value=None, contribution=0.0, status="exempt", inputs={},
                       reason=facts.exemptions[c["key"]])
        else:
            value, status, inputs = component_value(c, facts)
            effective = c["weight"] * 100 / weight_sum
            contribution = value * effective / 100
            total += contribution
            row.update(effective_weight=round(effective, 4), value=round(value, 2), contribution=round(contribution, 2),
                       status=status, inputs=inputs)
        rows.append(row)
    return round(total, 2), rows


# --- grades over the plan ---------------------------------------------------------------------

def band_for(total: float, bands: list[list[Any]]) -> int:
    """Index of the first band whose minimum ``total`` reaches."""
    for index, (_name, minimum) in enumerate(bands):
        if total >= minimum:
            return index
    return len(bands) - 1


def assign_grades(totals: dict[int, float], bands: list[list[Any]], cap: float | None) -> dict[int, tuple[str, str, int]]:
    """{id: (grade, note, rank)} for every id's total. Rank: 1 + the number of higher totals.
    ``note`` is ``capped`` for someone moved out of the best band by the cap (see module docstring)."""
    ordered = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    ranks, out = {}, {}
    for position, (rid, total) in enumerate(ordered, start=1):
        ranks[rid] = position if position == 1 or total != ordered[position - 2][1] else ranks[ordered[position - 2][0]]
    best = [rid for rid, total in ordered if band_for(total, bands) == 0]
    keep = set(best)
    if cap is not None and best:
        allowed = math.floor(cap * len(totals) / 100 + 1e-9)
        if len(best) > allowed:
            cut = totals[best[allowed]] if allowed < len(best) else None  # the first total that does not fit
            keep = {rid for rid in best[:allowed] if totals[rid] != cut}
    for rid, total in ordered:
        index = band_for(total, bands)
        note = ""
        if index == 0 and rid not in keep:
            index, note = 1, "capped"
        out[rid] = (bands[index][0], note, ranks[rid])
    return out
