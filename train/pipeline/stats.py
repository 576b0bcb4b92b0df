"""Corpus statistics as Markdown tables, the figures the data card reports."""
from collections import Counter
from itertools import combinations

import numpy as np

from train.model.labelset import NONE


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _counts_by(examples, key, label_ids):
    groups = {}
    for example in examples:
        groups.setdefault(example.meta.get(key, "?"), []).append(example)
    rows = []
    for name in sorted(groups, key=lambda g: (-len(groups[g]), g)):
        members = groups[name]
        counts = Counter(label for e in members for label in e.labels)
        rows.append([name, len(members), *(counts[label] for label in label_ids),
                     sum(1 for e in members if not e.labels)])
    return _table([key, "sentences", *label_ids, NONE], rows)


def corpus_stats(examples, label_ids):
    """Markdown: totals, per label, per conflict/register/role, co-occurrence, lengths."""
    counts = Counter(label for e in examples for label in e.labels)
    none = sum(1 for e in examples if not e.labels)
    multi = sum(1 for e in examples if len(e.labels) > 1)
    words = np.array([len(e.text.split()) for e in examples])
    parts = [
        f"**{len(examples)} sentences**, {multi} with two or more labels, "
        f"{len({e.meta.get('conflict') for e in examples})} conflicts.",
        _table(["label", "sentences"],
               [[label, counts[label]] for label in label_ids] + [[NONE, none]]),
        "Label co-occurrence (sentences carrying both):",
        _table(["", *label_ids],
               [[a, *(counts[a] if a == b else
                      sum(1 for e in examples if a in e.labels and b in e.labels)
                      for b in label_ids)] for a in label_ids]),
        "Label sets:",
        _table(["label set", "sentences"],
               [[" + ".join(s) or NONE, n] for s, n in Counter(
                   tuple(sorted(e.labels)) for e in examples).most_common()]),
        f"Length in words: min {words.min()}, median {int(np.median(words))}, "
        f"mean {words.mean():.1f}, max {words.max()}; "
        f"{(words <= 10).sum()} of 10 or fewer, {(words >= 45).sum()} of 45 or more.",
    ]
    for key in ("register", "speaker_role", "conflict"):
        parts.append(f"By {key}:")
        parts.append(_counts_by(examples, key, label_ids))
    pairs = sum(1 for e in examples if len(e.labels) == 2)
    parts.append(f"Two-label sentences: {pairs}; three or more: {multi - pairs}. "
                 f"Label pairs: " + ", ".join(
                     f"{a}+{b} {sum(1 for e in examples if {a, b} <= set(e.labels))}"
                     for a, b in combinations(label_ids, 2)) + ".")
    return "\n\n".join(parts)
