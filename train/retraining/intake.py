"""Checking users' new examples and corrections before they are stored.

The same row checks as ``python -m train validate``, plus what only matters for
additions: a sentence of the frozen test split (or of a held-out conflict) is refused so
the quality gate keeps measuring unseen text, and a plain example may not repeat one
already in the corpus or the store; a changed reading of a known sentence is a
correction, sent as one.
"""
from dataclasses import dataclass, field

from train.model.labelset import show_labels
from train.model.normalise import text_key
from train.pipeline.corpus import load_corpus
from train.pipeline.records import Problem, add_row
from train.pipeline.similarity import near_duplicate_pairs
from train.pipeline.split import load_split, partition
from train.pipeline.validate import row_problems_of


@dataclass
class Intake:
    """What happened to a batch: rows accepted, rows skipped because the store (or the
    corpus) already has them with the same labels, rows rejected (with reasons), and
    warnings. Adding the same file twice skips every row the second time."""

    accepted: list = field(default_factory=list)
    rejected: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    skipped: list = field(default_factory=list)

    def as_dict(self):
        """The JSON shape answered by the API."""
        return {"accepted": len(self.accepted), "skipped": len(self.skipped),
                "rejected": len(self.rejected),
                "rejections": [{"row": p.where, "reason": p.message} for p in self.rejected],
                "skips": [{"row": p.where, "reason": p.message} for p in self.skipped],
                "warnings": [{"row": p.where, "message": p.message} for p in self.warnings]}


def rows_to_examples(rows, where_prefix, allowed, check=None):
    """Turn rows sent over HTTP (JSON objects with ``text``, ``labels`` and at most the
    ``allowed`` fields) into examples, collecting each row's shape problem located as
    ``where_prefix[index]``; returns ``(examples, problems)`` for ``IntakeCheck.check``.
    ``check(row, where)`` is called on each well-formed row first (it may raise)."""
    examples, problems = [], []
    for index, row in enumerate(rows):
        where = _row_location(rows, index, where_prefix)
        if not isinstance(row, dict):
            problems.append(Problem("error", where, "each example must be a JSON object"))
            continue
        unknown = sorted(set(row) - set(allowed))
        if unknown:
            problems.append(Problem("error", where, f"unknown field(s) {', '.join(unknown)}; "
                                                    f"allowed: {', '.join(sorted(allowed))}"))
            continue
        if check is not None:
            check(row, where)
        add_row(row, row.get("labels"), where, examples, problems)
    return examples, problems


def _row_location(rows, index, where_prefix):
    """How a row is named in problems: ``examples[3]``, or the bare prefix for the one
    row of a request that sends a single object (``feedback``)."""
    return f"{where_prefix}[{index}]" if len(rows) > 1 or where_prefix == "examples" \
        else where_prefix


#: How a skip's reason starts: the row is already known with these labels, so adding it
#: again changes nothing (not an error: re-running an import must succeed).
ALREADY = "already in"


class IntakeCheck:
    """Checks batches against the label set, the shipped corpus and the store.

    The corpus is read once, when first needed, and then kept: it does not change while
    a process runs.
    """

    def __init__(self, labelset, store):
        self.labelset = labelset
        self.store = store
        self._corpus = None

    def _corpus_index(self):
        if self._corpus is None:
            split = load_split()
            training, test = partition(load_corpus(labelset=self.labelset), split)
            self._corpus = ({text_key(e.text): e.labels for e in training},
                            {text_key(e.text) for e in test}, set(split["test_conflicts"]))
        return self._corpus

    def check(self, examples, kind="example", problems=()):
        """Sort ``examples`` into accepted and rejected; ``problems`` are parse errors
        found before (rows that never became examples)."""
        corpus, test_keys, held = self._corpus_index()
        stored = self.store.labels_by_key()
        intake = Intake(rejected=[p for p in problems if p.level == "error"],
                        warnings=[p for p in problems if p.level == "warning"])
        seen = {}
        for example in examples:
            reason = self._reason(example, kind, corpus, test_keys, held, stored, seen)
            if reason and reason.startswith(ALREADY):
                intake.skipped.append(Problem("info", example.where, reason))
            elif reason:
                intake.rejected.append(Problem("error", example.where, reason))
            else:
                intake.accepted.append(example)
                seen[text_key(example.text)] = example
        for i, j, cosine in near_duplicate_pairs([e.text for e in intake.accepted]):
            intake.warnings.append(Problem(
                "warning", intake.accepted[j].where,
                f"near-duplicate of {intake.accepted[i].where} (cosine {cosine:.2f})"))
        return intake

    def _reason(self, example, kind, corpus, test_keys, held, stored, seen):
        """Why ``example`` cannot be stored, or None."""
        errors = [p.message for p in row_problems_of(example, self.labelset)
                  if p.level == "error"]
        if errors:
            return "; ".join(errors)
        key = text_key(example.text)
        if key in test_keys:
            return ("this sentence is in the frozen test split; training on it would "
                    "hide the model's real errors")
        if example.meta.get("conflict") in held:
            return (f"conflict '{example.meta['conflict']}' is held out for testing; "
                    "its sentences cannot be used for training")
        if key in seen:
            return f"repeats {seen[key].where} in this batch"
        # a correction that agrees with the corpus is still stored: it says the model got
        # that sentence wrong, and the gate checks the next version gets it right
        sources = (("the store", stored),) if kind == "correction" else \
            (("the store", stored), ("the shipped corpus", corpus))
        for where, known in sources:
            if key in known and set(known[key]) == set(example.labels):
                return f"{ALREADY} {where} with the same labels"
            if key in known and kind != "correction":
                return (f"in {where} labelled {show_labels(known[key])}; send a "
                        "correction (POST /feedback or `add --corrections`) to change it")
        return None
