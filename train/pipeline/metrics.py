"""Multi-label evaluation figures: per-label scores, the none row, calibration, confusions."""
import numpy as np
from sklearn.metrics import accuracy_score, brier_score_loss, precision_recall_fscore_support

from train.model.labelset import NONE


def indicator(label_sets, label_ids):
    """Label sets -> 0/1 matrix with one column per label id."""
    return np.array([[int(label in labels) for label in label_ids] for labels in label_sets],
                    dtype=int).reshape(len(label_sets), len(label_ids))


def label_scores(y_true, y_pred, label_ids):
    """Per-label precision, recall, F1 and support, the ``none`` row, micro and macro F1
    over the labels, and exact-set accuracy (the whole label set right)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, average=None,
                                                 zero_division=0)
    rows = {label: {"precision": float(p[k]), "recall": float(r[k]), "f1": float(f[k]),
                    "support": int(s[k])} for k, label in enumerate(label_ids)}
    none_true = (y_true.sum(axis=1) == 0).astype(int)
    none_pred = (y_pred.sum(axis=1) == 0).astype(int)
    p, r, f, s = precision_recall_fscore_support(none_true, none_pred, average="binary",
                                                 zero_division=0)
    rows[NONE] = {"precision": float(p), "recall": float(r), "f1": float(f),
                  "support": int(none_true.sum())}
    micro = precision_recall_fscore_support(y_true, y_pred, average="micro", zero_division=0)
    macro = precision_recall_fscore_support(y_true, y_pred, average="macro", zero_division=0)
    return {"per_label": rows, "micro_f1": float(micro[2]), "macro_f1": float(macro[2]),
            "exact_set_accuracy": float(accuracy_score(y_true, y_pred)), "n": len(y_true)}


def calibration(y_true, scores, label_ids, bins=5):
    """Brier score and a reliability table (mean score vs. observed rate per bin) per label."""
    y_true, scores = np.asarray(y_true), np.asarray(scores)
    edges = np.linspace(0, 1, bins + 1)
    result = {}
    for k, label in enumerate(label_ids):
        table = []
        which = np.clip(np.digitize(scores[:, k], edges[1:-1]), 0, bins - 1)
        for b in range(bins):
            members = which == b
            table.append({"bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}", "n": int(members.sum()),
                          "mean_score": float(scores[members, k].mean()) if members.any()
                          else None,
                          "observed_rate": float(y_true[members, k].mean()) if members.any()
                          else None})
        result[label] = {"brier": float(brier_score_loss(y_true[:, k], scores[:, k])),
                         "reliability": table}
    return result


def confusions(y_true, y_pred, label_ids):
    """Rows: true label (or none); columns: predicted label (or none); cells count
    sentence-level pairs, so a sentence with two true labels counts in two rows."""
    names = [*label_ids, NONE]
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    table = {t: {p: 0 for p in names} for t in names}
    for truth, guess in zip(y_true, y_pred):
        t_names = [label_ids[k] for k in np.flatnonzero(truth)] or [NONE]
        p_names = [label_ids[k] for k in np.flatnonzero(guess)] or [NONE]
        for t in t_names:
            for p in p_names:
                table[t][p] += 1
    return table


def worst_errors(texts, y_true, y_pred, scores, label_ids, n=20):
    """The ``n`` wrongly labelled sentences whose scores were furthest from the truth."""
    y_true, y_pred, scores = map(np.asarray, (y_true, y_pred, scores))
    wrong = np.flatnonzero((y_true != y_pred).any(axis=1))
    distance = np.abs(scores[wrong] - y_true[wrong]).max(axis=1)
    order = wrong[np.argsort(-distance, kind="stable")][:n]
    return [{"text": texts[i],
             "true": [label_ids[k] for k in np.flatnonzero(y_true[i])] or [NONE],
             "predicted": [label_ids[k] for k in np.flatnonzero(y_pred[i])] or [NONE],
             "scores": {label: round(float(scores[i, k]), 3)
                        for k, label in enumerate(label_ids)}} for i in order]
