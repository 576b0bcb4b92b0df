"""The validator every labelled file goes through before it can train a model.

Errors make a file unusable (exit 1); warnings are worth reading but do not block.
"""
import difflib
from collections import Counter
from dataclasses import dataclass, field

from train.model.labelset import NONE, show_labels

from .records import Problem, read_labelled_file
from .similarity import NEAR_DUPLICATE_THRESHOLD, near_duplicate_pairs

#: Longest text accepted; a "sentence" longer than this is a document pasted by mistake.
MAX_TEXT_CHARS = 2000
#: Fewer examples than this for a label gives a warning: a model cannot learn it.
MIN_PER_LABEL = 20


@dataclass
class Report:
    """What the validator found, and the examples that passed the row checks."""

    examples: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    label_counts: Counter = field(default_factory=Counter)
    near_duplicate_rate: float = 0.0

    @property
    def errors(self):
        """Problems that make the data unusable."""
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self):
        """Problems worth a look that do not block training."""
        return [p for p in self.problems if p.level == "warning"]

    def summary(self, labelset):
        """A short human-readable account: counts, duplicates and the verdict."""
        lines = [f"{len(self.examples)} examples"]
        for label in (*labelset.ids, NONE):
            lines.append(f"  {label:<14}{self.label_counts.get(label, 0):>7}")
        multi = sum(1 for e in self.examples if len(e.labels) > 1)
        lines.append(f"  {'2+ labels':<14}{multi:>7}")
        lines.append(f"near-duplicate rate: {self.near_duplicate_rate:.2%} "
                     f"(cosine >= {NEAR_DUPLICATE_THRESHOLD} on character 3-5-grams)")
        lines.append(f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)")
        return "\n".join(lines)


def validate_files(paths, labelset, min_per_label=MIN_PER_LABEL, near_duplicates=True):
    """Read and check ``paths`` together (duplicates are found across files).

    ``near_duplicates=False`` skips the near-duplicate search, which only warns and is
    the slow part (about 17 s on the corpus); training passes it.
    """
    report = Report()
    for path in paths:
        examples, problems = read_labelled_file(path)
        report.problems.extend(problems)
        for example in examples:
            row_problems = row_problems_of(example, labelset)
            report.problems.extend(row_problems)
            if not any(p.level == "error" for p in row_problems):
                report.examples.append(example)
    report.problems.extend(_duplicate_problems(report, near_duplicates))
    for example in report.examples:
        report.label_counts.update(example.labels or (NONE,))
    for label in labelset.ids:
        if report.label_counts[label] < min_per_label:
            report.problems.append(Problem(
                "warning", "all files",
                f"label '{label}' has {report.label_counts[label]} example(s); "
                f"at least {min_per_label} are needed to learn it"))
    return report


def row_problems_of(example, labelset):
    """The problems of one example on its own: empty or too long text, unknown labels."""
    problems = []
    where = example.where
    if not example.text.strip():
        problems.append(Problem("error", where, "text is empty or whitespace"))
    elif len(example.text) > MAX_TEXT_CHARS:
        problems.append(Problem("error", where, f"text has {len(example.text)} characters "
                                                f"(at most {MAX_TEXT_CHARS})"))
    for label in example.labels:
        if label not in labelset:
            hint = difflib.get_close_matches(label.lower().replace("-", "_").replace(" ", "_"),
                                             labelset.ids, n=1, cutoff=0.6)
            suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
            problems.append(Problem("error", where, f"unknown label '{label}'{suggestion} "
                                                    f"(known: {', '.join(labelset.ids)})"))
    repeated = [label for label, n in Counter(example.labels).items() if n > 1]
    if repeated:
        problems.append(Problem("warning", where, f"label(s) repeated: {', '.join(repeated)}"))
    return problems


def _duplicate_problems(report, near_duplicates=True):
    """Exact duplicates, conflicting labels, repeated ids and near-duplicates."""
    problems, first_by_text, first_by_id = [], {}, {}
    exact = set()
    for index, example in enumerate(report.examples):
        key = " ".join(example.text.lower().split())
        if key in first_by_text:
            first = report.examples[first_by_text[key]]
            exact.add((first_by_text[key], index))
            if set(first.labels) != set(example.labels):
                problems.append(Problem(
                    "error", example.where,
                    f"same text as {first.where} with conflicting labels "
                    f"{show_labels(example.labels)} vs {show_labels(first.labels)}"))
            else:
                problems.append(Problem("error", example.where,
                                        f"exact duplicate of {first.where}"))
        else:
            first_by_text[key] = index
        row_id = example.meta.get("id")
        if row_id is not None:
            if row_id in first_by_id:
                problems.append(Problem("error", example.where,
                                        f"id '{row_id}' already used at {first_by_id[row_id]}"))
            else:
                first_by_id[row_id] = example.where
    pairs = near_duplicate_pairs([e.text for e in report.examples]) if near_duplicates else []
    involved = set()
    for i, j, cosine in pairs:
        involved.update((i, j))
        if (i, j) not in exact:
            problems.append(Problem("warning", report.examples[j].where,
                                    f"near-duplicate of {report.examples[i].where} "
                                    f"(cosine {cosine:.2f})"))
    if report.examples:
        report.near_duplicate_rate = len(involved) / len(report.examples)
    return problems
