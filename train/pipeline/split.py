"""The frozen test split: whole conflicts held out, chosen once with a fixed seed.

Holding out whole conflicts measures what users need: how the model reads statements
about a conflict it has never seen. The split is written to ``split.json`` once and then
only read; nothing may train or tune on its rows.
"""
import json
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np

from train import CORPUS_DIR

SPLIT_FILE = CORPUS_DIR / "split.json"
DEFAULT_SEED = 20261128
#: The test part's share of all sentences must land in this range.
SHARE_RANGE = (0.15, 0.20)


def _profile(examples, label_ids):
    """Label rates (each label, none, multi-label) of a set of examples."""
    n = max(len(examples), 1)
    counts = Counter(label for e in examples for label in e.labels)
    rates = [counts[label] / n for label in label_ids]
    rates.append(sum(1 for e in examples if not e.labels) / n)
    rates.append(sum(1 for e in examples if len(e.labels) > 1) / n)
    return np.array(rates)


def choose_test_conflicts(examples, label_ids, seed=DEFAULT_SEED, tries=20000):
    """Pick the conflicts to hold out: a share in ``SHARE_RANGE`` whose label profile is
    closest (L1) to the whole corpus's, searched over random conflict subsets.
    """
    by_conflict = {}
    for example in examples:
        by_conflict.setdefault(example.meta["conflict"], []).append(example)
    conflicts = sorted(by_conflict)
    total = len(examples)
    target = _profile(examples, label_ids)
    rng = np.random.default_rng(seed)
    best, best_score = None, float("inf")
    for _ in range(tries):
        chosen, size = [], 0
        for index in rng.permutation(len(conflicts)):
            if size / total >= SHARE_RANGE[0]:
                break
            chosen.append(conflicts[index])
            size += len(by_conflict[conflicts[index]])
        if not SHARE_RANGE[0] <= size / total <= SHARE_RANGE[1]:
            continue
        held = [e for c in chosen for e in by_conflict[c]]
        score = float(np.abs(_profile(held, label_ids) - target).sum())
        if score < best_score:
            best, best_score = sorted(chosen), score
    if best is None:
        raise ValueError("no set of whole conflicts reaches the required test share")
    return best


def write_split(examples, label_ids, seed=DEFAULT_SEED, path=SPLIT_FILE):
    """Choose and record the split; refuses to overwrite an existing one."""
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} exists: the test split is frozen")
    conflicts = choose_test_conflicts(examples, label_ids, seed)
    ids = sorted(e.meta["id"] for e in examples if e.meta["conflict"] in conflicts)
    record = {"seed": seed, "created": date.today().isoformat(),
              "method": "whole conflicts held out; random subsets of conflicts with a "
                        f"share in {list(SHARE_RANGE)}, the one whose label profile is "
                        "closest to the corpus's kept",
              "test_conflicts": conflicts, "test_ids": ids}
    path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return record


def load_split(path=SPLIT_FILE):
    """Read the frozen split record."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def partition(examples, split):
    """Split examples into ``(training, test)``.

    Test is exactly the recorded ids; train excludes every row of a held-out conflict,
    so a sentence added later to such a conflict can never leak into training.
    """
    test_ids = set(split["test_ids"])
    held = set(split["test_conflicts"])
    test = [e for e in examples if e.meta.get("id") in test_ids]
    training = [e for e in examples
             if e.meta.get("id") not in test_ids and e.meta.get("conflict") not in held]
    return training, test
