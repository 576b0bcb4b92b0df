"""Training: compare candidates by cross-validation grouped by conflict, tune one
threshold per label on out-of-fold scores, fit the winner and save it as a new version.

The frozen test split is never seen here except to report the final figures.
"""
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold

from train import CORPUS_DIR
from train.model import versions
from train.model.labelset import load_labelset
from train.model.normalise import text_key

from .candidates import build_candidates, fit_pipeline
from .corpus import corpus_files, load_corpus
from .metrics import calibration, indicator, label_scores
from .saving import save_version
from .split import load_split, partition

#: Progress (``python -m train`` prints it; a job's log file holds it).
log = logging.getLogger("casus.training")

#: Thresholds are searched on this grid; the ends keep a label from firing on noise or
#: never firing at all.
THRESHOLD_GRID = np.round(np.arange(0.10, 0.91, 0.01), 2)

#: How many corpus sentences one stored example or correction weighs in training
#: (``--user-weight``). Chosen with ``python -m train domain-eval`` on the real dev
#: sentences standing in for a user's domain; see the README's figures.
USER_WEIGHT = 10.0


def _fit_fold(pipeline, texts, y, fit_idx, held_idx, weights=None):
    started = time.perf_counter()
    model = fit_pipeline(clone(pipeline), [texts[i] for i in fit_idx], y[fit_idx],
                         None if weights is None else weights[fit_idx])
    return model.predict_proba([texts[i] for i in held_idx]), time.perf_counter() - started


def out_of_fold_scores(pipeline, texts, y, groups, folds, n_jobs=2, weights=None):
    """Probabilities for every training sentence from a model that never saw its conflict
    (fitted with ``weights`` per sentence when given).

    Folds run in ``n_jobs`` processes; results do not depend on how many.
    """
    scores = np.zeros(y.shape, dtype=float)
    splits = list(GroupKFold(n_splits=folds).split(texts, y, groups))
    jobs = (delayed(_fit_fold)(pipeline, texts, y, fit_idx, held_idx, weights)
            for fit_idx, held_idx in splits)
    results = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
    for fold, ((fit_idx, held_idx), (proba, seconds)) in enumerate(zip(splits, results), 1):
        scores[held_idx] = proba
        log.info(f"    fold {fold}/{folds}: {len(fit_idx)} train / {len(held_idx)} held out "
            f"({seconds:.1f}s)")
    return scores


def tune_thresholds(y, scores, label_ids):
    """Per label, the grid threshold with the best out-of-fold F1 (ties: the lowest)."""
    thresholds = {}
    for k, label in enumerate(label_ids):
        f1s = [f1_score(y[:, k], scores[:, k] >= t, zero_division=0) for t in THRESHOLD_GRID]
        thresholds[label] = float(THRESHOLD_GRID[int(np.argmax(f1s))])
    return thresholds


def apply_thresholds(scores, thresholds, label_ids):
    """0/1 predictions from scores and per-label thresholds."""
    return np.column_stack([scores[:, k] >= thresholds[label]
                            for k, label in enumerate(label_ids)]).astype(int)


#: The choice made on real published sentences by ``python -m train crossfit`` (chosen on
#: one half of their conflicts, measured on the other): which candidate to train, and how
#: far each label's threshold moves from the one tuned on the corpus. The corpus's own
#: cross-validation cannot make it: its sentences are not real text (issue 13).
CHOICE_FILE = CORPUS_DIR / "model_choice.json"


def load_model_choice(path=CHOICE_FILE, candidate_names=None):
    """The recorded choice (``candidate``, ``threshold_shifts``), or None without one; a
    choice naming an unknown candidate or label, or a shift that is not a number, is
    refused with ValueError rather than silently ignored."""
    path = Path(path)
    if not path.is_file():
        return None
    choice = json.loads(path.read_text(encoding="utf-8"))
    names = candidate_names if candidate_names is not None else build_candidates()
    shifts = choice.get("threshold_shifts") if isinstance(choice, dict) else None
    if not isinstance(shifts, dict) or choice.get("candidate") not in names or not all(
            isinstance(v, (int, float)) for v in shifts.values()):
        raise ValueError(f"{path} must name one of the candidates ({', '.join(names)}) as "
                         "'candidate' and give 'threshold_shifts' as label -> number; write "
                         "it with `python -m train crossfit FILE --choice " f"{path}`")
    return choice


def shift_thresholds(thresholds, shifts):
    """Thresholds moved by ``shifts`` (label -> amount), kept within [0.05, 0.95] and
    rounded to the threshold grid's 0.01: the one way both crossfit measures and a
    version ships them."""
    return {label: round(min(0.95, max(0.05, t + shifts.get(label, 0.0))), 2)
            for label, t in thresholds.items()}


def shipped_thresholds(entry, choice):
    """The thresholds a version ships with: the ones tuned out of fold on the corpus,
    moved by the choice's shifts when the choice is for this candidate."""
    if choice and choice.get("candidate") == entry["name"]:
        return shift_thresholds(entry["thresholds"], choice["threshold_shifts"])
    return dict(entry["thresholds"])


def train_model(paths=None, seed=0, folds=5, root=versions.DEFAULT_ROOT, activate=True,
                candidates=None, labelset=None, extra=(), examples=None,
                user_weight=USER_WEIGHT):
    """Train a new version from the corpus (never the test split) plus ``extra`` examples
    (users' stored ones, which replace corpus rows of the same text and weigh
    ``user_weight`` corpus rows each) and return its manifest. ``examples``: the corpus
    already loaded (from ``paths``), so a retraining reads and checks it once."""
    t0 = time.perf_counter()
    labelset = labelset or load_labelset()
    paths = paths or corpus_files()
    data = training_data(examples or load_corpus(paths, labelset), labelset, extra,
                         user_weight)
    log.info(f"[1/4] data: {len(data.rows)} training sentences from {len(set(data.groups))} "
        f"conflicts ({data.held_out} held out for testing)")
    built = build_candidates(random_state=seed)
    choice = load_model_choice(candidate_names=built)
    if candidates is None:
        candidates = {choice["candidate"]: built[choice["candidate"]]} if choice else built
    log.info(f"[2/4] comparing {len(candidates)} candidates, {folds}-fold CV grouped by conflict")
    comparison, (entry, pipeline, oof) = compare_candidates(candidates, data, folds)
    log.info(f"[3/4] fitting '{entry['name']}' on all {len(data.rows)} training sentences")
    started = time.perf_counter()
    fitted = fit_pipeline(clone(pipeline), data.texts, data.y, data.weights)
    log.info(f"    fitted in {time.perf_counter() - started:.1f}s")
    entry = dict(entry, corpus_thresholds=entry["thresholds"],
                 thresholds=shipped_thresholds(entry, choice))
    manifest = build_manifest(fitted, entry, comparison, oof, data, labelset, paths, seed,
                              folds, extra)
    if entry["thresholds"] != entry["corpus_thresholds"]:
        manifest["threshold_choice"] = {"corpus_thresholds": entry["corpus_thresholds"],
                                        **choice}
    log.info("[4/4] saving")
    path = save_version(fitted, manifest, root)
    if activate:
        versions.set_active(manifest["version"], root)
    log.info(f"saved {path} ({'active' if activate else 'not activated'}); "
        f"total {time.perf_counter() - t0:.1f}s")
    return versions.read_manifest(manifest["version"], root)


@dataclass
class TrainingData:
    """The training rows (test split removed, stored examples merged) as the candidates
    see them: texts, label indicator matrix (columns in ``label_ids`` order), conflict of
    each row, how many rows the test split held out, and each row's training weight
    (None when every row weighs 1)."""
    label_ids: list
    rows: list
    texts: list
    y: np.ndarray
    groups: list
    held_out: int
    weights: np.ndarray = None
    user_weight: float = 1.0


def training_data(examples, labelset, extra=(), user_weight=USER_WEIGHT):
    """``examples`` without the frozen test split, with ``extra`` merged in, each extra
    row weighing ``user_weight`` corpus rows."""
    rows, test = partition(examples, load_split())
    rows = merge_examples(rows, extra)
    label_ids = list(labelset.ids)
    weights = user_weights(len(rows), len(extra), user_weight)
    return TrainingData(label_ids, rows, [e.text for e in rows],
                        indicator([e.labels for e in rows], label_ids),
                        [e.meta.get("conflict", "?") for e in rows], len(test), weights,
                        float(user_weight))


def compare_candidates(candidates, data, folds):
    """Each candidate's out-of-fold figures (cross-validation grouped by conflict, with
    thresholds tuned on its own out-of-fold scores), and the best as ``(entry,
    pipeline, out-of-fold scores)``, by macro-F1."""
    label_ids = data.label_ids
    comparison, best = [], None
    for n, (name, pipeline) in enumerate(candidates.items(), 1):
        log.info(f"  candidate {n}/{len(candidates)}: {name}")
        started = time.perf_counter()
        scores = out_of_fold_scores(pipeline, data.texts, data.y, data.groups, folds,
                                    weights=data.weights)
        thresholds = tune_thresholds(data.y, scores, label_ids)
        figures = label_scores(data.y, apply_thresholds(scores, thresholds, label_ids),
                               label_ids)
        briers = {k: v["brier"] for k, v in calibration(data.y, scores, label_ids).items()}
        entry = {"name": name, "macro_f1": figures["macro_f1"], "micro_f1": figures["micro_f1"],
                 "per_label_f1": {k: figures["per_label"][k]["f1"] for k in label_ids},
                 "brier": briers, "thresholds": thresholds,
                 "seconds": round(time.perf_counter() - started, 1)}
        comparison.append(entry)
        log.info(f"    macro-F1 {entry['macro_f1']:.3f} (tuned thresholds) in {entry['seconds']}s")
        if best is None or entry["macro_f1"] > best[0]["macro_f1"]:
            best = (entry, pipeline, scores)
    return comparison, best


def build_manifest(fitted, entry, comparison, oof, data, labelset, paths, seed, folds,
                   extra):
    """The new version's manifest: labels and thresholds, the chosen model and its
    parameters, the data it saw, and the cross-validation figures."""
    label_ids, y = list(labelset.ids), data.y
    created = datetime.now(timezone.utc)
    return {
        "version": created.strftime("%Y%m%dT%H%M%S%fZ"),
        "created": created.isoformat(timespec="seconds"),
        "labels": label_ids,
        "label_definitions": labelset.definitions,
        "thresholds": entry["thresholds"],
        "model": entry["name"],
        "params": {k: repr(v) for k, v in fitted.get_params(deep=True).items()
                   if "__" in k and not k.endswith(("_list", "estimator", "steps"))},
        "seed": seed,
        "data": {"files": [p.name for p in paths], "sha256": _data_hash(data.rows),
                 "train_sentences": len(data.rows), "test_sentences": data.held_out,
                 "stored_examples": len(extra), "user_weight": data.user_weight,
                 "train_label_counts": {k: int(y[:, i].sum()) for i, k in enumerate(label_ids)},
                 "train_none": int((y.sum(axis=1) == 0).sum())},
        "cv": {"folds": folds, "grouped_by": "conflict", "comparison": comparison,
               "out_of_fold": label_scores(y, apply_thresholds(oof, entry["thresholds"],
                                                               label_ids), label_ids),
               "calibration": calibration(y, oof, label_ids)},
    }


def user_weights(n_rows, n_extra, user_weight):
    """Training weights of ``merge_examples``' result (the ``n_extra`` user rows last,
    each weighing ``user_weight``), or None when every row weighs 1."""
    if not n_extra or user_weight == 1.0:
        return None
    weights = np.ones(n_rows)
    weights[n_rows - n_extra:] = user_weight
    return weights


def merge_examples(rows, extra):
    """``rows`` with ``extra`` added; an extra example replaces any training row with
    the same text (case and spacing folded), which is how corrections take effect."""
    if not extra:
        return rows
    replaced = {text_key(e.text) for e in extra}
    kept = [e for e in rows if text_key(e.text) not in replaced]
    return kept + list(extra)


def _data_hash(examples):
    digest = hashlib.sha256()
    for e in examples:
        digest.update(f"{e.text}\t{','.join(e.labels)}\n".encode("utf-8"))
    return digest.hexdigest()
