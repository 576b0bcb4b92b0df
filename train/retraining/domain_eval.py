"""The domain report: how much a user's own labelled sentences help on their own text.

``python -m train domain-eval FILE`` splits the user's file into k folds (grouped by its
``conflict`` or ``group`` field where rows have one, so no group is on both sides), and
for each fold trains the default candidate on the corpus plus the other folds (each user
row weighing ``user_weight`` corpus rows) and scores it on the held-out fold. Beside it,
the same folds are scored by the same candidate trained on the corpus alone. The
learning curve repeats the "with" models on 25% and 50% of each fold's user rows.
Predictions of all held-out folds are pooled before macro-F1 is computed, so every user
sentence counts once. The frozen test split is scored by every model too: user data
must not buy its gain there by losing the corpus's breadth.

Thresholds are the ones the default model ships with: tuned by grouped cross-validation
on the corpus and moved by ``train/data/model_choice.json``; they stay fixed across the
comparison so only the user rows differ.
"""
import logging
import random
import time

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.model_selection import GroupKFold

from train.model.labelset import NONE
from train.pipeline.candidates import build_candidates, fit_pipeline, select_candidates
from train.pipeline.corpus import load_corpus
from train.pipeline.metrics import indicator, label_scores
from train.pipeline.split import load_split, partition
from train.pipeline.training import (USER_WEIGHT, apply_thresholds, compare_candidates,
                                     load_model_choice, merge_examples, shipped_thresholds,
                                     training_data, user_weights)

log = logging.getLogger("casus.domain_eval")

#: Shares of each fold's user rows the learning curve trains with.
CURVE = (0.25, 0.5, 1.0)


def user_groups(examples, folds, seed=0):
    """Each example's group for the folds: its ``conflict`` or ``group`` field, or (when
    fewer than ``folds`` groups are named) a shuffled round-robin fold number."""
    named = [e.meta.get("conflict") or e.meta.get("group") for e in examples]
    if all(named) and len(set(named)) >= folds:
        return named, "conflict or group field"
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    groups = [0] * len(examples)
    for rank, i in enumerate(order):
        groups[i] = f"fold-{rank % folds}"
    return groups, "random folds (too few named groups)"


def _fit_and_score(pipeline, corpus_rows, extra, user_weight, label_ids, texts_sets):
    """Fit ``pipeline`` on ``corpus_rows`` merged with ``extra`` as a retrain merges
    and weighs them, and return its scores on each list of texts in ``texts_sets``."""
    rows = merge_examples(corpus_rows, extra)
    fitted = fit_pipeline(clone(pipeline), [e.text for e in rows],
                          indicator([e.labels for e in rows], label_ids),
                          user_weights(len(rows), len(extra), user_weight))
    return [fitted.predict_proba(texts) for texts in texts_sets]


def domain_eval(user_examples, labelset, folds=5, user_weight=USER_WEIGHT, seed=0,
                n_jobs=2, candidate=None):
    """The domain report as a dict: ``without``, ``with`` (pooled macro-F1 on the user's
    held-out folds), ``curve``, ``per_label``, ``test`` (frozen test split macro-F1 of
    the models without and with user data, mean over folds) and the settings used.
    ``candidate``: a short name (``SHORT_NAMES``); default, the one training uses."""
    started = time.perf_counter()
    label_ids = list(labelset.ids)
    corpus = load_corpus(labelset=labelset)
    data = training_data(corpus, labelset)
    built = build_candidates(random_state=seed)
    choice = load_model_choice(candidate_names=built)
    if candidate:
        (name, pipeline), = select_candidates([candidate], random_state=seed).items()
    else:
        name = choice["candidate"] if choice else next(iter(built))
        pipeline = built[name]
    log.info(f"[1/3] corpus thresholds for '{name}' by {folds}-fold CV grouped by conflict")
    (entry,), _ = compare_candidates({name: pipeline}, data, folds)
    thresholds = shipped_thresholds(entry, choice)
    groups, grouping = user_groups(user_examples, folds, seed)
    splits = list(GroupKFold(n_splits=folds).split(user_examples, groups=groups))
    _, test = partition(corpus, load_split())
    test_texts = [e.text for e in test]
    y_test = indicator([e.labels for e in test], label_ids)
    y_user = indicator([e.labels for e in user_examples], label_ids)
    user_texts = [e.text for e in user_examples]

    tasks = [("without", None, None)]
    for fold, (fit_idx, held_idx) in enumerate(splits):
        fit_idx = list(fit_idx)
        random.Random(seed + fold).shuffle(fit_idx)   # curve subsets: a random share
        for share in CURVE:
            tasks.append((share, fold, fit_idx[:max(1, round(share * len(fit_idx)))]))
    log.info(f"[2/3] {len(tasks)} models: the corpus alone, and {len(CURVE)} shares of the "
             f"user rows x {folds} folds (user weight {user_weight})")

    def job(share, fold, fit_idx):
        if share == "without":
            return _fit_and_score(pipeline, data.rows, [], 1.0, label_ids,
                                  [user_texts, test_texts])
        extra = [user_examples[i] for i in fit_idx]
        held = [user_texts[i] for i in splits[fold][1]]
        return _fit_and_score(pipeline, data.rows, extra, user_weight, label_ids,
                              [held, test_texts])

    results = Parallel(n_jobs=n_jobs)(delayed(job)(*task) for task in tasks)
    log.info("[3/3] scoring")
    by_task = dict(zip([(t[0], t[1]) for t in tasks], results))
    user_without, test_without = by_task[("without", None)]

    def predicted(scores):
        return apply_thresholds(scores, thresholds, label_ids)

    without = label_scores(y_user, predicted(user_without), label_ids)
    test_base = label_scores(y_test, predicted(test_without), label_ids)["macro_f1"]
    curve, pooled_with, test_with = [], None, []
    for share in CURVE:
        pooled = np.zeros(y_user.shape, dtype=int)
        tests = []
        for fold, (_, held_idx) in enumerate(splits):
            held_scores, test_scores = by_task[(share, fold)]
            pooled[held_idx] = predicted(held_scores)
            tests.append(label_scores(y_test, predicted(test_scores), label_ids)["macro_f1"])
        figures = label_scores(y_user, pooled, label_ids)
        rows = round(share * len(user_examples) * (folds - 1) / folds)
        curve.append({"share": share, "user_rows": rows, "macro_f1": round(figures["macro_f1"], 4),
                      "test_macro_f1": round(float(np.mean(tests)), 4)})
        if share == 1.0:
            pooled_with, test_with = figures, tests
    return {
        "without": round(without["macro_f1"], 4),
        "with": round(pooled_with["macro_f1"], 4),
        "curve": curve,
        "per_label": {label: {"without": round(without["per_label"][label]["f1"], 4),
                              "with": round(pooled_with["per_label"][label]["f1"], 4),
                              "support": without["per_label"][label]["support"]}
                      for label in (*label_ids, NONE)},
        "test": {"without": round(test_base, 4), "with": round(float(np.mean(test_with)), 4)},
        "settings": {"folds": folds, "grouping": grouping, "user_rows": len(user_examples),
                     "user_weight": user_weight, "candidate": name, "thresholds": thresholds,
                     "seed": seed, "seconds": round(time.perf_counter() - started, 1)},
    }


def domain_markdown(report, label_ids):
    """The report as Markdown for the terminal."""
    s = report["settings"]
    lines = [f"# Domain report: {s['user_rows']} user sentences, {s['folds']} folds "
             f"({s['grouping']}), user weight {s['user_weight']}", "",
             "| | macro-F1 on the user's held-out folds | frozen test split macro-F1 |",
             "|---|---|---|",
             f"| corpus only | {report['without']:.3f} | {report['test']['without']:.3f} |",
             f"| corpus + user data | **{report['with']:.3f}** | {report['test']['with']:.3f} |",
             "", "Learning curve (share of the other folds' user rows used):", "",
             "| share | user rows per fold | macro-F1 | test split |", "|---|---|---|---|"]
    lines += [f"| {c['share']:.0%} | {c['user_rows']} | {c['macro_f1']:.3f} | "
              f"{c['test_macro_f1']:.3f} |" for c in report["curve"]]
    lines += ["", "| label | F1 without | F1 with | support |", "|---|---|---|---|"]
    lines += [f"| {label} | {v['without']:.3f} | {v['with']:.3f} | {v['support']} |"
              for label, v in report["per_label"].items()]
    lines += ["", f"Candidate '{s['candidate']}', thresholds {s['thresholds']} (fixed "
              f"across the comparison); {s['seconds']} s."]
    return "\n".join(lines)
