"""The work on one partition, the same in every executor: read its documents, split them
into sentences, predict, and write the rows to a part file (JSON lines) beside a small
record of what was done (counts, columns seen, and every row that could not be used).

A part is written under a temporary name and renamed when complete, so after an
interruption a part either exists whole or not at all; that is what ``--resume`` trusts.
"""
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from train.model.labelset import NONE
from train.model.predict import predict
from train.model.segment import sentence_spans

from .inputs import read_partition

#: Documents read before their sentences are predicted together: numpy's batch speed is
#: reached from about 500 sentences a call (9,806 sentences/s at 1,000, 8,874 at 100).
DOCUMENTS_PER_BATCH = 500
#: Sentences predicted per call.
SENTENCES_PER_CALL = 1000


@dataclass(frozen=True)
class Options:
    """What a run produces: one row per ``sentence`` or ``document``; whether texts are
    split into sentences; the longest text accepted; the input file named in each row."""

    unit: str = "sentence"
    split: bool = True
    max_chars: int = 100_000
    with_file: bool = False


def part_paths(parts_dir, index):
    """The part file of partition ``index`` and its record."""
    parts_dir = Path(parts_dir)
    return parts_dir / f"part-{index:06d}.jsonl", parts_dir / f"part-{index:06d}.json"


def process_partition(model, partition, columns, options, parts_dir):
    """Classify ``partition`` and write its part; returns its record (also written)."""
    started = time.perf_counter()
    rows_path, record_path = part_paths(parts_dir, partition.index)
    staging = rows_path.with_name(f".{rows_path.name}.tmp")
    counts = {"documents": 0, "sentences": 0}
    errors, seen = [], {}
    batch = []
    with open(staging, "w", encoding="utf-8") as out:
        def flush():
            for row in classify_documents(model, batch, options, partition):
                for key in row:
                    seen.setdefault(key, None)
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                counts["sentences"] += 1 if options.unit == "sentence" else row["sentences"]
            counts["documents"] += len(batch)
            batch.clear()

        for row in read_partition(partition, columns):
            if row.error is None and len(row.text) > options.max_chars:
                row.error = (f"text has {len(row.text)} characters; at most "
                             f"{options.max_chars} (--max-chars)")
            if row.error is None and not row.text.strip():
                row.error = "text is empty"
            if row.error is not None:
                errors.append({"file": partition.path, "line": row.line, "id": row.id,
                               "reason": row.error})
                continue
            batch.append(row)
            if len(batch) >= DOCUMENTS_PER_BATCH:
                flush()
        flush()
    record = {"index": partition.index, **counts, "errors": errors, "columns": list(seen),
              "seconds": round(time.perf_counter() - started, 3), "size": partition.size}
    os.replace(staging, rows_path)
    record_staging = record_path.with_name(f".{record_path.name}.tmp")
    record_staging.write_text(json.dumps(record), encoding="utf-8")
    os.replace(record_staging, record_path)   # the record last: it marks the part done
    return record


def classify_documents(model, documents, options, partition):
    """Output rows for ``documents`` (Rows with text): one per sentence, or one per
    document with its counts and the labels present."""
    units = []
    for number, doc in enumerate(documents):
        spans = sentence_spans(doc.text) if options.split else [(0, len(doc.text))]
        units.extend((number, start, end) for start, end in spans)
    predictions = []
    for first in range(0, len(units), SENTENCES_PER_CALL):
        predictions.extend(predict(model, [documents[n].text[s:e] for n, s, e
                                           in units[first:first + SENTENCES_PER_CALL]]))
    labels = model.label_ids
    if options.unit == "sentence":
        index_in_doc = {}
        for (number, start, end), prediction in zip(units, predictions):
            doc = documents[number]
            sentence = index_in_doc[number] = index_in_doc.get(number, -1) + 1
            row = {"id": doc.id, "sentence": sentence, "start": start, "end": end,
                   "text": doc.text[start:end], "labels": prediction["labels"],
                   "label": prediction["label"],
                   **{f"score_{label}": prediction["scores"][label] for label in labels},
                   "model_version": model.version}
            yield _with_columns(row, doc, options, partition)
        return
    per_doc = [dict.fromkeys([*labels, NONE], 0) for _ in documents]
    sentences = [0] * len(documents)
    for (number, _, _), prediction in zip(units, predictions):
        sentences[number] += 1
        for label in prediction["labels"] or [NONE]:
            per_doc[number][label] += 1
    for number, doc in enumerate(documents):
        counts = per_doc[number]
        row = {"id": doc.id, "sentences": sentences[number],
               **{f"count_{label}": counts[label] for label in (*labels, NONE)},
               "labels": [label for label in labels if counts[label]],
               "model_version": model.version}
        yield _with_columns(row, doc, options, partition)


def _with_columns(row, doc, options, partition):
    """``row`` followed by the file (with several inputs) and the document's other
    columns, unchanged; a column whose name casus uses is kept as ``input_<name>``."""
    if options.with_file:
        row["file"] = partition.path
    for key, value in doc.columns.items():
        row[f"input_{key}" if key in row else key] = value
    return row
