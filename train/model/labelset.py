"""The label set a corpus is written in, read from data rather than fixed in code.

The default corpus ships ``train/data/labels.json``; a user retraining with another
label set passes their own file, and everything downstream reads the ids from it.
"""
import json
from dataclasses import dataclass
from pathlib import Path

from train import CORPUS_DIR

DEFAULT_LABELS_FILE = CORPUS_DIR / "labels.json"

#: The word for "no label" in reports; never a label id itself.
NONE = "none"


@dataclass(frozen=True)
class LabelSet:
    """Ordered label ids with a one-line definition each."""

    ids: tuple[str, ...]
    definitions: dict

    def __contains__(self, label):
        return label in self.ids


def load_labelset(path=DEFAULT_LABELS_FILE):
    """Read a label file ``{"labels": [{"id": ..., "definition": ...}, ...]}``.

    Raises ValueError with a readable message when the file is malformed.
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        entries = doc["labels"]
        ids = tuple(str(e["id"]) for e in entries)
        definitions = {str(e["id"]): str(e.get("definition", "")) for e in entries}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a valid label file ({exc})") from exc
    if not ids or len(set(ids)) != len(ids) or NONE in ids:
        raise ValueError(f"{path}: label ids must be unique, non-empty and not '{NONE}'")
    return LabelSet(ids=ids, definitions=definitions)


def show_labels(labels):
    """Labels as a reader sees them in a message: ``[a, b]``, or ``[none]``."""
    return "[" + ", ".join(labels) + "]" if labels else f"[{NONE}]"
