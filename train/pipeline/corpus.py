"""The shipped corpus: which files make it up, and loading it as checked examples."""
from train import CORPUS_DIR
from train.model.labelset import load_labelset

from .validate import validate_files


def corpus_files(data_dir=CORPUS_DIR):
    """The corpus files, one per conflict, in a stable order."""
    return sorted(data_dir.glob("*.jsonl"))


def load_corpus(paths=None, labelset=None):
    """Validate and return the examples of ``paths`` (default: the shipped corpus).

    Raises ValueError listing the first errors when the data does not validate, so
    nothing downstream ever trains on a broken file.
    """
    labelset = labelset or load_labelset()
    report = validate_files(paths or corpus_files(), labelset, near_duplicates=False)
    if report.errors:
        shown = "\n".join(str(p) for p in report.errors[:20])
        raise ValueError(f"{len(report.errors)} error(s) in the labelled data:\n{shown}")
    return report.examples
