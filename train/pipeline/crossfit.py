"""Choosing the model on real text without fooling ourselves: cross-fitted figures on a
labelled file of real sentences (``../shared/realdev``), never trained on.

Each candidate is trained on the corpus (the frozen test split left out, as always) and
scores the file. Everything chosen on the file (which candidate, and a shift of each
label's threshold away from the one tuned on the corpus) is chosen on one half of its
conflicts and measured on the other half, both ways; the figure reported is the mean of
the two measured halves (the per-label table pools them), so no sentence is scored by a
choice it took part in. What ships is the same choice made on the whole file; its figure
is the cross-fitted one.
"""
import random
from collections import defaultdict

import numpy as np
from sklearn.base import clone
from sklearn.metrics import f1_score

from train.model.labelset import NONE

from .candidates import fit_pipeline
from .metrics import indicator, label_scores
from .training import apply_thresholds, compare_candidates, shift_thresholds, training_data

#: Shifts tried for each label's threshold, added to the threshold tuned on the corpus.
SHIFTS = np.round(np.arange(-0.20, 0.41, 0.05), 2)


def conflict_halves(examples, seed=0):
    """Two index lists splitting ``examples`` by conflict, each about half the rows
    (conflicts shuffled with ``seed``, then each given to the smaller half)."""
    by_conflict = defaultdict(list)
    for i, e in enumerate(examples):
        by_conflict[e.meta.get("conflict", "?")].append(i)
    conflicts = sorted(by_conflict)
    random.Random(seed).shuffle(conflicts)
    halves = ([], [])
    for conflict in sorted(conflicts, key=lambda c: -len(by_conflict[c])):
        smaller = halves[0] if len(halves[0]) <= len(halves[1]) else halves[1]
        smaller.extend(by_conflict[conflict])
    return [sorted(h) for h in halves]


def candidate_scores(candidates, corpus, real, labelset, folds=5):
    """Per candidate: its corpus figures (grouped CV) and thresholds, and its scores on
    the ``real`` examples from a fit on the whole training corpus."""
    data = training_data(corpus, labelset)
    comparison, _ = compare_candidates(candidates, data, folds)
    texts = [e.text for e in real]
    out = {}
    for entry, (name, pipeline) in zip(comparison, candidates.items()):
        fitted = fit_pipeline(clone(pipeline), data.texts, data.y)
        out[name] = {"cv_macro_f1": entry["macro_f1"], "thresholds": entry["thresholds"],
                     "scores": fitted.predict_proba(texts)}
    return out


def choose_shifts(y, scores, thresholds, label_ids):
    """Per label, the shift in ``SHIFTS`` whose threshold (as ``shift_thresholds`` moves
    it) gives the best F1 on these rows (ties: the smallest shift in size)."""
    shifts = {}
    for k, label in enumerate(label_ids):
        def f1(shift):
            moved = shift_thresholds({label: thresholds[label]}, {label: shift})[label]
            return f1_score(y[:, k], scores[:, k] >= moved, zero_division=0), -abs(shift)
        shifts[label] = float(max(SHIFTS, key=f1))
    return shifts


def _choose(by_candidate, y, rows, label_ids):
    """The candidate and shifts with the best macro-F1 on ``rows``."""
    best = None
    for name, c in by_candidate.items():
        shifts = choose_shifts(y[rows], c["scores"][rows], c["thresholds"], label_ids)
        shifted = shift_thresholds(c["thresholds"], shifts)
        macro = label_scores(y[rows], apply_thresholds(c["scores"][rows], shifted, label_ids),
                             label_ids)["macro_f1"]
        if best is None or macro > best[0]:
            best = (macro, name, shifts, shifted)
    return best


def check_conflicts(real):
    """Refuse, before any training, a file that cannot be split into two halves by
    conflict (fewer than two conflicts, or rows without one)."""
    missing = [e.where for e in real if not e.meta.get("conflict")]
    if missing:
        raise ValueError(f"{len(missing)} rows have no 'conflict' (first: {missing[0]}); "
                         "cross-fitting splits the file by conflict")
    if len({e.meta["conflict"] for e in real}) < 2:
        raise ValueError("cross-fitting needs rows from at least two conflicts")


def cross_fitted(by_candidate, real, label_ids, seed=0):
    """The figures of choosing on one half and measuring on the other, both ways (pooled),
    each candidate's figures with its corpus thresholds (nothing chosen), and the choice
    made on the whole file."""
    y = indicator([e.labels for e in real], label_ids)
    halves = conflict_halves(real, seed)
    predicted = np.zeros_like(y)
    choices = []
    for choose_on, measure_on in (halves, halves[::-1]):
        _, name, shifts, shifted = _choose(by_candidate, y, choose_on, label_ids)
        scores = by_candidate[name]["scores"][measure_on]
        predicted[measure_on] = apply_thresholds(scores, shifted, label_ids)
        per_half = label_scores(y[measure_on], predicted[measure_on], label_ids)
        choices.append({"candidate": name, "shifts": shifts,
                        "measured_macro_f1": per_half["macro_f1"], "rows": len(measure_on)})
    _, name, shifts, shifted = _choose(by_candidate, y, list(range(len(real))), label_ids)
    as_trained = {n: label_scores(y, apply_thresholds(c["scores"], c["thresholds"], label_ids),
                                  label_ids)
                  for n, c in by_candidate.items()}
    return {"cross_fitted": label_scores(y, predicted, label_ids),
            "halves": choices,
            "mean_of_halves_macro_f1": float(np.mean([c["measured_macro_f1"]
                                                      for c in choices])),
            "corpus_thresholds": as_trained,
            "cv_macro_f1": {n: c["cv_macro_f1"] for n, c in by_candidate.items()},
            "chosen_on_whole_file": {"candidate": name, "shifts": shifts,
                                     "thresholds": shifted}}


def crossfit_markdown(result, label_ids):
    """The figures as Markdown: per candidate, and the cross-fitted choice per label."""
    lines = ["| candidate | corpus CV macro-F1 | real macro-F1, corpus thresholds |",
             "|---|---|---|"]
    for name, figures in result["corpus_thresholds"].items():
        lines.append(f"| {name} | {result['cv_macro_f1'][name]:.3f} | "
                     f"{figures['macro_f1']:.3f} |")
    cf = result["cross_fitted"]
    lines += ["", f"Cross-fitted (candidate and threshold shifts chosen on one half of the "
              f"conflicts, measured on the other, both ways): macro-F1 "
              f"**{result['mean_of_halves_macro_f1']:.3f}** (mean of the halves), "
              f"{cf['macro_f1']:.3f} pooled over both measured halves (table).", "",
              "| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for label in (*label_ids, NONE):
        row = cf["per_label"][label]
        lines.append(f"| {label} | {row['precision']:.3f} | {row['recall']:.3f} | "
                     f"{row['f1']:.3f} | {row['support']} |")
    for half in result["halves"]:
        lines.append(f"\nChosen on one half, measured on the other {half['rows']} rows: "
                     f"{half['candidate']}, shifts {half['shifts']}, macro-F1 "
                     f"{half['measured_macro_f1']:.3f}")
    whole = result["chosen_on_whole_file"]
    lines.append(f"\nThe same choice on the whole file: {whole['candidate']}, shifts "
                 f"{whole['shifts']}")
    return "\n".join(lines)


def choice_record(result, path_of_file, sha256):
    """What ``train/data/model_choice.json`` holds: the choice made on the whole file, the
    file it was made on, and the cross-fitted figures that are reported for it."""
    whole, cf = result["chosen_on_whole_file"], result["cross_fitted"]
    return {"candidate": whole["candidate"], "threshold_shifts": whole["shifts"],
            "chosen_on": {"file": str(path_of_file), "sha256": sha256,
                          "rows": cf["n"], "method": "python -m train crossfit"},
            "cross_fitted": {"mean_of_halves_macro_f1":
                             round(result["mean_of_halves_macro_f1"], 3),
                             "pooled_macro_f1": round(cf["macro_f1"], 3),
                             "per_label": {k: {m: round(v[m], 3)
                                               for m in ("precision", "recall", "f1")}
                                           for k, v in cf["per_label"].items()}}}

