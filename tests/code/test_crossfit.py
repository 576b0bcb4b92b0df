"""Cross-fitting: what is chosen on real sentences is never measured on them."""
import numpy as np
import pytest

from train.pipeline.crossfit import (check_conflicts, choose_shifts, conflict_halves,
                                     cross_fitted)
from train.pipeline.records import Example

LABELS = ["accusation", "negotiation"]


def examples(conflicts):
    return [Example(text=f"s{i}", labels=(), where="t", meta={"conflict": c})
            for i, c in enumerate(conflicts)]


def test_halves_split_by_conflict_and_cover_every_row():
    rows = examples(["a"] * 5 + ["b"] * 4 + ["c"] * 3 + ["d"] * 2 + ["e"])
    first, second = conflict_halves(rows)
    assert sorted(first + second) == list(range(len(rows)))
    conflicts = [{rows[i].meta["conflict"] for i in half} for half in (first, second)]
    assert conflicts[0].isdisjoint(conflicts[1])
    assert abs(len(first) - len(second)) <= 3


def test_a_shift_is_chosen_where_it_helps():
    y = np.array([[1, 0], [1, 0], [0, 0], [0, 1]])
    scores = np.array([[0.9, 0.1], [0.8, 0.1], [0.6, 0.1], [0.1, 0.6]])
    shifts = choose_shifts(y, scores, {"accusation": 0.5, "negotiation": 0.5}, LABELS)
    assert shifts["accusation"] > 0.1          # 0.6 must not pass
    assert shifts["negotiation"] == 0.0        # already right: the smallest shift


def test_every_row_is_scored_by_a_choice_made_on_the_other_half():
    # scores that fit one half perfectly with one shift and the other with another: a
    # choice made on a half cannot be perfect on the other, so the pooled figure is not 1
    conflicts = ["a", "a", "b", "b", "c", "c", "d", "d"]
    rows = [Example(text=f"s{i}", labels=("accusation",) if i % 2 == 0 else (), where="t",
                    meta={"conflict": c}) for i, c in enumerate(conflicts)]
    halves = conflict_halves(rows)
    scores = np.zeros((len(rows), 2))
    for i in range(len(rows)):
        positive = i % 2 == 0
        low_half = i in halves[0]
        scores[i, 0] = (0.45 if positive else 0.35) if low_half else (0.75 if positive else 0.65)
    by_candidate = {"m": {"cv_macro_f1": 0.5, "thresholds": {l: 0.5 for l in LABELS},
                          "scores": scores}}
    result = cross_fitted(by_candidate, rows, LABELS)
    assert result["cross_fitted"]["per_label"]["accusation"]["f1"] < 1.0
    assert [h["rows"] for h in result["halves"]] == [len(halves[1]), len(halves[0])]
    # each half's choice fits itself: the two differ, and neither is measured on itself
    shifts = [h["shifts"]["accusation"] for h in result["halves"]]
    assert shifts[0] != shifts[1]


def test_a_file_that_cannot_be_halved_by_conflict_is_refused_before_training():
    with pytest.raises(ValueError, match="two conflicts"):
        check_conflicts(examples(["a", "a"]))
    with pytest.raises(ValueError, match="no 'conflict'"):
        check_conflicts([Example(text="x", labels=(), where="f:1", meta={})])
