"""Reading collections: which files, in which format, cut into partitions that any
worker (a local process or a Dask worker on another machine) can read by itself.

A partition names a file and a part of it: a byte range of an uncompressed JSONL or
text file (cut at line ends, with the number of the line it starts at, so every row
keeps its real line number), a range of a Parquet file's row groups, or a whole CSV or
gzip file (neither can be entered in the middle: a CSV cell may hold a line break, and
gzip has no index). Reading a partition yields one ``Row`` per document: its line, its
text and id, its other columns, or the reason it cannot be used.
"""
import codecs
import csv
import glob
import gzip
import io
import json
import math
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

#: A partition of a JSONL or text file holds about this many bytes: 150 MB make 38
#: partitions, enough to keep 2 to 16 workers busy to the end, few enough that
#: starting each costs little next to its work (about 3 s at 9,000 sentences/s).
PARTITION_BYTES = 4 * 1024 * 1024
#: Formats by file suffix (after any ``.gz``).
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv",
           ".tsv": "csv", ".parquet": "parquet", ".txt": "text", ".text": "text"}


class InputError(ValueError):
    """An input the run cannot start with (missing, unknown format, no text column)."""


@dataclass(frozen=True)
class Partition:
    """A part of one input file that one worker reads: bytes ``start``-``end`` (JSONL and
    text), row groups ``start``-``end`` (Parquet), or the whole file (``end`` None)."""

    index: int
    path: str
    fmt: str
    compressed: bool
    start: int = 0
    end: int = None
    first_line: int = 1
    size: int = 0          # bytes, for progress


@dataclass
class Row:
    """One document as read: where it is, its id, text and other columns, or the reason
    it cannot be classified (``error``)."""

    line: int
    id: object = None
    text: str = None
    columns: dict = field(default_factory=dict)
    error: str = None


def expand_inputs(inputs):
    """The files named by ``inputs`` (files, directories, glob patterns), sorted within
    each, in the order given; InputError for a name that matches nothing."""
    files = []
    for name in inputs:
        if os.path.isdir(name):
            found = sorted(p for p in Path(name).rglob("*") if p.is_file()
                           and file_format(p, strict=False))
        elif glob.has_magic(name):
            found = sorted(Path(p) for p in glob.glob(name, recursive=True)
                           if os.path.isfile(p))
        else:
            found = [Path(name)] if os.path.exists(name) else []
        if not found:
            raise InputError(f"{name}: no such file, or no input files in it")
        files.extend(found)
    return files


def file_format(path, strict=True):
    """``(format, compressed)`` of a file by its suffix; InputError (or None when not
    ``strict``) for a suffix that is not JSONL, CSV, TSV, Parquet or text."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    compressed = bool(suffixes) and suffixes[-1] == ".gz"
    suffix = suffixes[-2] if compressed and len(suffixes) > 1 else \
        (suffixes[-1] if suffixes and not compressed else "")
    fmt = FORMATS.get(suffix)
    if fmt is None:
        if not strict:
            return None
        raise InputError(f"{path}: unsupported input type '{''.join(suffixes) or 'none'}'; "
                         "casus classify reads .jsonl, .csv, .tsv, .parquet and .txt files, "
                         "each optionally gzipped (.jsonl.gz)")
    return fmt, compressed


def plan_partitions(files, partition_bytes=None):
    """Every input file cut into partitions of about ``partition_bytes`` (default
    ``PARTITION_BYTES``), numbered in reading order."""
    partition_bytes = partition_bytes or PARTITION_BYTES
    partitions = []
    for path in files:
        fmt, compressed = file_format(path)
        size = os.path.getsize(path)
        if fmt == "parquet" and not compressed:
            import pyarrow.parquet as pq
            metadata = pq.ParquetFile(path).metadata
            groups = metadata.num_row_groups
            per = max(1, math.ceil(groups * partition_bytes / max(size, 1)))
            for first in range(0, max(groups, 1), per):
                last = min(groups, first + per)
                partitions.append(Partition(len(partitions), str(path), fmt, False, first,
                                            last, size=size * (last - first) // max(groups, 1)))
        elif fmt in ("jsonl", "text") and not compressed and size > partition_bytes:
            for start, end, line in _byte_ranges(path, size, partition_bytes):
                partitions.append(Partition(len(partitions), str(path), fmt, False, start,
                                            end, line, size=end - start))
        else:
            partitions.append(Partition(len(partitions), str(path), fmt, compressed,
                                        size=size))
    return partitions


def _byte_ranges(path, size, step):
    """``(start, end, first line)`` ranges of about ``step`` bytes, each ending just after
    a line break; line numbers come from counting the breaks before each start."""
    ranges, start, line = [], 0, 1
    with open(path, "rb") as handle:
        while start < size:
            target = start + step
            if target >= size:
                end = size
            else:
                handle.seek(target)
                handle.readline()          # on to the end of the line cut at ``target``
                end = min(handle.tell(), size)
            ranges.append((start, end, line))
            handle.seek(start)
            remaining, breaks = end - start, 0
            while remaining:
                block = handle.read(min(remaining, 16 * 1024 * 1024))
                breaks += block.count(b"\n")
                remaining -= len(block)
            line += breaks
            start = end
    return ranges


@dataclass(frozen=True)
class Columns:
    """Which columns hold the text and the id (None: the row's number), and the CSV
    delimiter (None: comma, or tab for .tsv)."""

    text: str = "text"
    id: str = None
    delimiter: str = None


def read_partition(partition, columns):
    """Yield a ``Row`` for every document of ``partition``."""
    reader = {"jsonl": _jsonl_rows, "text": _text_rows, "csv": _csv_rows,
              "parquet": _parquet_rows}[partition.fmt]
    yield from reader(partition, columns)


def _lines(partition):
    """``(line number, raw bytes)`` of a line-based partition, line breaks removed."""
    opener = gzip.open if partition.compressed else open
    with opener(partition.path, "rb") as handle:
        handle.seek(partition.start) if not partition.compressed else None
        remaining = None if partition.end is None else partition.end - partition.start
        number = partition.first_line
        for raw in handle:
            if remaining is not None:
                if remaining <= 0:
                    break
                remaining -= len(raw)
            yield number, raw.rstrip(b"\r\n")
            number += 1


def _decode(raw):
    try:
        return raw.decode("utf-8-sig" if raw.startswith(codecs.BOM_UTF8) else "utf-8"), None
    except UnicodeDecodeError:
        return None, "not valid UTF-8 text"


def _jsonl_rows(partition, columns):
    for number, raw in _lines(partition):
        if not raw.strip():
            continue
        line, error = _decode(raw)
        if error:
            yield Row(number, error=error)
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            yield Row(number, error=f"invalid JSON ({exc})")
            continue
        if not isinstance(record, dict):
            yield Row(number, error="the line is not a JSON object")
            continue
        yield _row(number, record, columns)


def _text_rows(partition, columns):
    for number, raw in _lines(partition):
        line, error = _decode(raw)
        if error:
            yield Row(number, error=error)
        elif line.strip():
            yield Row(number, id=number if columns.id is None else None, text=line)


def _csv_rows(partition, columns):
    delimiter = columns.delimiter or ("\t" if ".tsv" in Path(partition.path).suffixes
                                      else ",")
    opener = gzip.open if partition.compressed else open
    with opener(partition.path, "rb") as binary:
        text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
        reader = csv.DictReader(text, delimiter=delimiter)
        try:
            header = reader.fieldnames or []
        except UnicodeDecodeError:
            yield Row(1, error="not valid UTF-8 text")
            return
        if columns.text not in header:
            raise InputError(f"{partition.path}: no column '{columns.text}' (found "
                             f"{', '.join(repr(h) for h in header)}); name the text column "
                             "with --text-column, and the delimiter with --delimiter")
        record_number = 0
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError:
                yield Row(reader.line_num + 1, error="not valid UTF-8 text; the rest of "
                          "the file was skipped")
                return
            except csv.Error as exc:
                yield Row(reader.line_num, error=f"malformed CSV ({exc})")
                continue
            record_number += 1
            if None in record:
                yield Row(reader.line_num, error="more cells than header columns")
                continue
            yield _row(reader.line_num, record, columns, default_id=record_number)


def _parquet_rows(partition, columns):
    if partition.compressed:
        # Parquet is read by seeking to its footer, which gzip cannot do: the worker
        # unpacks it to a temporary file first (disk, not memory)
        with tempfile.NamedTemporaryFile(suffix=".parquet") as unpacked:
            with gzip.open(partition.path, "rb") as packed:
                shutil.copyfileobj(packed, unpacked, 1 << 20)
            unpacked.flush()
            import pyarrow.parquet as pq
            groups = pq.ParquetFile(unpacked.name).metadata.num_row_groups
            whole = Partition(partition.index, unpacked.name, "parquet", False, 0, groups)
            for row in _parquet_rows(whole, columns):
                yield row
        return
    import pyarrow.parquet as pq
    source = pq.ParquetFile(partition.path)
    if columns.text not in source.schema_arrow.names:
        raise InputError(f"{partition.path}: no column '{columns.text}' (found "
                         f"{', '.join(source.schema_arrow.names)}); name it with "
                         "--text-column")
    first = sum(source.metadata.row_group(g).num_rows for g in range(partition.start))
    number = first
    for group in range(partition.start, partition.end):
        for batch in source.iter_batches(batch_size=4096, row_groups=[group]):
            for record in batch.to_pylist():
                number += 1
                yield _row(number, record, columns)


def _row(number, record, columns, default_id=None):
    """A Row from a record (dict) of a JSONL, CSV or Parquet input."""
    text = record.get(columns.text)
    if columns.id is not None:
        if record.get(columns.id) in (None, ""):
            return Row(number, error=f"no '{columns.id}' (the id column)")
        doc_id = record[columns.id]
    else:
        doc_id = number if default_id is None else default_id
    if not isinstance(text, str):
        return Row(number, id=doc_id, error=f"no '{columns.text}' text" if text is None
                   else f"'{columns.text}' is not a string")
    others = {k: _plain(v) for k, v in record.items() if k not in (columns.text, columns.id)}
    return Row(number, id=_plain(doc_id), text=text, columns=others)


def _plain(value):
    """A value as JSON can carry it (Parquet dates, decimals and bytes become strings)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)
