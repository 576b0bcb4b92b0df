"""Writing the result: the parts, in partition order, into one file in the format of its
extension (JSONL, CSV or Parquet, the first two optionally gzipped), written under a
temporary name beside it and renamed into place, so a reader never sees half a file.
Memory stays flat: parts are streamed, a batch of rows at a time.
"""
import csv
import gzip
import json
import os
from pathlib import Path

from .work import part_paths

#: Output formats by suffix (after any ``.gz``).
OUTPUT_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv",
                  ".parquet": "parquet"}
#: Rows per Parquet row group and per conversion batch.
BATCH_ROWS = 50_000


def output_format(path):
    """``(format, gzipped)`` of the output file; ValueError for anything else."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    gzipped = bool(suffixes) and suffixes[-1] == ".gz"
    suffix = (suffixes[-2] if len(suffixes) > 1 else "") if gzipped else \
        (suffixes[-1] if suffixes else "")
    fmt = OUTPUT_FORMATS.get(suffix)
    if fmt is None or (fmt == "parquet" and gzipped):
        raise ValueError(f"{path}: the output is written in the format of its extension: "
                         ".jsonl, .csv or .parquet (.jsonl.gz and .csv.gz too)")
    return fmt, gzipped


def write_output(path, parts_dir, count, columns):
    """Join parts ``0 .. count-1`` of ``parts_dir`` into ``path`` (``columns``: every
    column in order of first appearance, the CSV header and Parquet schema order)."""
    path = Path(path)
    fmt, gzipped = output_format(path)
    staging = path.with_name(f".{path.name}.tmp")
    opener = gzip.open if gzipped else open
    try:
        if fmt == "parquet":
            _write_parquet(staging, parts_dir, count, columns)
        else:
            with opener(staging, "wt", encoding="utf-8", newline="") as out:
                if fmt == "jsonl":
                    for part in _part_files(parts_dir, count):
                        with open(part, encoding="utf-8") as handle:
                            for line in handle:
                                out.write(line)
                else:
                    _write_csv(out, parts_dir, count, columns)
        os.replace(staging, path)
    finally:
        if staging.exists():
            staging.unlink()


def _part_files(parts_dir, count):
    return [part_paths(parts_dir, index)[0] for index in range(count)]


def _rows(parts_dir, count):
    for part in _part_files(parts_dir, count):
        with open(part, encoding="utf-8") as handle:
            for line in handle:
                yield json.loads(line)


def _write_csv(out, parts_dir, count, columns):
    """CSV with one header; a list (``labels``) is written as ids joined by ';', as
    ``python -m train add`` reads labels, and a nested value as JSON."""
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in _rows(parts_dir, count):
        writer.writerow({k: ";".join(map(str, v)) if isinstance(v, list) and
                         all(isinstance(x, str) for x in v)
                         else json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict))
                         else v for k, v in row.items()})


def _write_parquet(staging, parts_dir, count, columns):
    """Parquet in two streaming passes: the schema is inferred batch by batch and
    unified (a column that is empty in one part and text in another is text), then the
    rows are written in row groups of ``BATCH_ROWS``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    def batches():
        rows = []
        for row in _rows(parts_dir, count):
            rows.append(row)
            if len(rows) >= BATCH_ROWS:
                yield rows
                rows = []
        if rows:
            yield rows

    def table(rows, schema=None):
        full = [{c: row.get(c) for c in columns} for row in rows]
        return pa.Table.from_pylist(full, schema=schema)

    schemas = [table(rows).schema for rows in batches()]
    if not schemas:
        schema = pa.schema([(c, pa.string()) for c in columns])
    else:
        schema = pa.unify_schemas(schemas, promote_options="permissive")
        # a column with no value anywhere is stored as text rather than Arrow's null type
        schema = pa.schema([pa.field(f.name, pa.string()) if pa.types.is_null(f.type)
                            else f for f in schema])
    with pq.ParquetWriter(staging, schema) as writer:
        for rows in batches():
            writer.write_table(table(rows, schema), row_group_size=BATCH_ROWS)
        if not schemas:
            writer.write_table(schema.empty_table())
