"""Reading labelled files (JSONL or CSV) into examples, with every problem located.

Parsing never stops at the first bad row: each problem is recorded with its file and
line so a user can fix a whole file in one pass.
"""
import csv
import difflib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from train.model.labelset import NONE

#: Optional string fields of a corpus row; anything else is carried along untouched.
CORPUS_FIELDS = ("id", "conflict", "speaker_role", "register")


@dataclass(frozen=True)
class Example:
    """One labelled sentence and where it came from."""

    text: str
    labels: tuple
    where: str
    meta: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Problem:
    """A located finding: ``level`` is ``"error"`` or ``"warning"``."""

    level: str
    where: str
    message: str

    def __str__(self):
        return f"{self.where}: {self.level}: {self.message}"


def read_labelled_file(path):
    """Parse one ``.jsonl`` or ``.csv`` file; return ``(examples, problems)``.

    Only the file's own syntax and row shape are checked here; label vocabulary,
    duplicates and lengths are the validator's business.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [], [Problem("error", str(path), f"cannot read file ({exc.strerror})")]
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return [], [Problem("error", f"{path}:{line}", "not valid UTF-8 text")]
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path, content)
    if suffix in (".jsonl", ".json", ".ndjson"):
        return _read_jsonl(path, content)
    return [], [Problem("error", str(path), f"unsupported file type '{path.suffix or 'none'}'"
                        "; labelled files are .jsonl (one JSON object per line) or .csv "
                        "(comma-separated, with a header row naming 'text' and 'labels')")]


def _read_jsonl(path, content):
    examples, problems = [], []
    for number, line in enumerate(content.splitlines(), 1):
        where = f"{path}:{number}"
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem("error", where, f"invalid JSON ({exc.msg})"))
            continue
        if not isinstance(row, dict):
            problems.append(Problem("error", where, "each line must be a JSON object"))
            continue
        add_row(row, row.get("labels"), where, examples, problems)
    return examples, problems


def _read_csv(path, content):
    examples, problems = [], []
    reader = csv.DictReader(io.StringIO(content, newline=""))
    missing = {"text", "labels"} - set(reader.fieldnames or ())
    if missing:
        hints = []
        for name in sorted(missing):
            near = difflib.get_close_matches(name, reader.fieldnames or [], n=1, cutoff=0.6)
            hints += [f"'{near[0]}': did you mean '{name}'?"] if near else []
        found = f" (found {', '.join(repr(f) for f in reader.fieldnames or [])}" + \
            (f"; {' '.join(hints)})" if hints else ")")
        return [], [Problem("error", f"{path}:1",
                            f"CSV header lacks column(s) {', '.join(sorted(missing))}{found}")]
    try:
        for row in reader:
            where = f"{path}:{reader.line_num}"
            if None in row:
                problems.append(Problem("error", where, "more cells than header columns"))
                continue
            cell = row.get("labels") or ""
            labels = [part.strip() for part in cell.split(";") if part.strip()]
            add_row(row, labels, where, examples, problems)
    except csv.Error as exc:
        problems.append(Problem("error", f"{path}:{reader.line_num}", f"malformed CSV ({exc})"))
    return examples, problems


def add_row(row, labels, where, examples, problems):
    """Check one row's shape; append it to ``examples`` as an Example, or its problem to
    ``problems``."""
    text = row.get("text")
    if not isinstance(text, str):
        problems.append(Problem("error", where, "'text' is missing or not a string"))
        return
    if "labels" not in row:
        near = difflib.get_close_matches("labels", [str(k) for k in row], n=1, cutoff=0.6)
        hint = f"; found '{near[0]}': did you mean 'labels'?" if near else ""
        problems.append(Problem("error", where, f"no 'labels' field{hint}"))
        return
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        problems.append(Problem("error", where, "'labels' must be a list of label ids"))
        return
    labels = [x.strip() for x in labels]
    # "none" is how people say "no label"; it can only stand alone.
    if NONE in labels:
        if len(labels) > 1:
            problems.append(Problem("error", where,
                                    f"'{NONE}' cannot be combined with other labels"))
            return
        labels = []
    row = {k: v for k, v in row.items() if not (k in CORPUS_FIELDS and v is None)}  # unset
    if isinstance(row.get("id"), int) and not isinstance(row["id"], bool):
        row = dict(row, id=str(row["id"]))   # a numeric id (an export's, a user's own)
    bad = [f for f in CORPUS_FIELDS if f in row and not isinstance(row[f], str)]
    if bad:
        problems.append(Problem("error", where, f"field(s) {', '.join(bad)} must be strings"))
        return
    meta = {k: v for k, v in row.items() if k not in ("text", "labels")}
    examples.append(Example(text=text, labels=tuple(labels), where=where, meta=meta))
