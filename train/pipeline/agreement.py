"""Annotation consistency: per-label Cohen's kappa of a blind re-labelling.

Someone re-labels a sample without seeing the stored labels; comparing the two readings
label by label shows where the codebook is applied inconsistently.
"""
from sklearn.metrics import cohen_kappa_score


def agreement(stored, relabelled, label_ids):
    """Compare two labellings of the same ids.

    ``stored`` and ``relabelled`` map id -> iterable of labels. Returns a dict with, per
    label, Cohen's kappa, raw agreement and the positive counts of each side, plus the
    exact-set agreement and the ids whose label sets differ.
    """
    ids = sorted(set(stored) & set(relabelled))
    if not ids:
        raise ValueError("the two labellings share no ids")
    per_label = {}
    for label in label_ids:
        a = [int(label in stored[i]) for i in ids]
        b = [int(label in relabelled[i]) for i in ids]
        same = sum(x == y for x, y in zip(a, b))
        # kappa is undefined when both sides use one value only; agreement is then total.
        kappa = cohen_kappa_score(a, b) if len(set(a) | set(b)) > 1 else 1.0
        per_label[label] = {"kappa": round(float(kappa), 3),
                            "agreement": round(same / len(ids), 3),
                            "stored_positive": sum(a), "relabelled_positive": sum(b)}
    differing = [i for i in ids if set(stored[i]) != set(relabelled[i])]
    return {"n": len(ids), "per_label": per_label,
            "exact_set_agreement": round(1 - len(differing) / len(ids), 3),
            "differing_ids": differing}
