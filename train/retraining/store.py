"""The labelled-example store: users' examples, corrections and training jobs in one
SQLite file under the data directory, and (opt-in) classified sentences in a second one.

Every write is its own committed transaction, so an example is on disk before the call
that added it returns. WAL mode lets the service's workers read while one writes; the
schema carries its version in ``PRAGMA user_version`` and is migrated forward on open.

The classified-sentence log (``ClassifiedLog``) lives in its own file because it is
written on every classification: SQLite has one writer per file, so in the example
store each request's log write queued behind (and fsynced like) the acknowledged
examples. With 100,000 logged sentences that commit plus a ``DELETE … NOT IN`` over the
whole table took single-sentence /classify from 1,258 to 1.2 requests/s at 8 clients.
"""
import json
import os
import sqlite3
from contextlib import closing, contextmanager
from datetime import datetime, timezone
from pathlib import Path

from train.model.normalise import text_key
from train.pipeline.records import Example

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "var"
STORE_FILE = "casus.sqlite3"
LOG_FILE = "classified.sqlite3"
#: The most classified sentences the log keeps (the newest); GET /review ranks the
#: newest 5,000 unlabelled ones of them.
LOG_KEEP = 100_000

#: Entry i (a tuple of SQL statements or ``f(db, data_dir)`` steps) moves the schema from
#: version i to i + 1; never edit a released one, append a new one.
MIGRATIONS = [(
    """CREATE TABLE examples (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL,               -- text_key(text)
        text TEXT NOT NULL,
        labels TEXT NOT NULL,            -- JSON list of label ids, [] meaning none
        kind TEXT NOT NULL CHECK (kind IN ('example', 'correction')),
        source TEXT NOT NULL,            -- 'cli:<file>', 'api' or 'feedback'
        added_by TEXT,
        added_at TEXT NOT NULL,
        conflict TEXT,
        meta TEXT                        -- JSON object of any other fields
    )""",
    "CREATE INDEX examples_by_key ON examples (key)",
    """CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        force INTEGER NOT NULL DEFAULT 0,
        requested_by TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        pid INTEGER,
        result TEXT,                     -- JSON: candidate, active, promoted, reason
        error TEXT
    )""",
    """CREATE TABLE classified (
        key TEXT PRIMARY KEY,
        text TEXT NOT NULL,
        version TEXT,
        classified_at TEXT NOT NULL
    )""",
    "CREATE INDEX classified_by_time ON classified (classified_at)",
), (
    # the classified sentences move to their own file (LOG_FILE; see ClassifiedLog)
    lambda db, data_dir: _move_classified_to_log(db, data_dir),
    "DROP TABLE classified",
), (
    # 2026-12-03: normalise_text folds tokenised text, entities and odd spaces, so
    # sentences stored before are keyed again as the model now reads them
    lambda db, data_dir: _rekey(db, "examples"),
), (
    # a user can delete (or undo) one stored row; the row stays, marked, so the store
    # keeps a record of what was deleted, when and by whom
    "ALTER TABLE examples ADD COLUMN deleted_at TEXT",
    "ALTER TABLE examples ADD COLUMN deleted_by TEXT",
)]

#: Columns of a stored row as export and GET /examples give them.
EXPORT_FIELDS = ("id", "text", "labels", "kind", "source", "added_by", "added_at", "conflict")
#: Rows still in use (not deleted).
LIVE = "deleted_at IS NULL"

#: The classified-sentence log's schema, migrated like MIGRATIONS. ``id`` is the order of
#: logging: a write appends at the end of the rowid b-tree and pruning cuts its start.
#: No other index, and repeats are kept (and folded when read): a unique index on the
#: key made every insert and prune touch random pages of a 12 MB index, 100 µs a
#: sentence in batches of 100 at 100,000 rows against 15 µs for a plain append.
LOG_MIGRATIONS = [(
    """CREATE TABLE classified (
        id INTEGER PRIMARY KEY,          -- the order of logging
        key TEXT NOT NULL,               -- text_key(text)
        text TEXT NOT NULL,
        version TEXT,                    -- the model version that classified it
        classified_at TEXT NOT NULL
    )""",
), (
    lambda db, data_dir: _rekey(db, "classified"),   # as MIGRATIONS' last entry
)]


def now():
    """The current UTC time as an ISO 8601 string (sorts in time order)."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def data_dir_from_env():
    """The data directory: ``CASUS_DATA_DIR`` or ``var/`` in the project."""
    return Path(os.environ.get("CASUS_DATA_DIR", DEFAULT_DATA_DIR))


def _migrate(db, migrations, data_dir):
    """Run the entries of ``migrations`` past the file's ``user_version`` in one
    transaction; an entry's items are SQL statements or ``f(db, data_dir)`` steps."""
    db.execute("BEGIN IMMEDIATE")
    version = db.execute("PRAGMA user_version").fetchone()[0]
    for number in range(version, len(migrations)):
        for statement in migrations[number]:
            if callable(statement):
                statement(db, data_dir)
            else:
                db.execute(statement)
    db.execute(f"PRAGMA user_version = {len(migrations)}")
    db.execute("COMMIT")


def _rekey(db, table):
    """Recompute every row's ``key`` from its text with today's ``text_key``."""
    rows = db.execute(f"SELECT rowid, text FROM {table}").fetchall()
    db.executemany(f"UPDATE {table} SET key = ? WHERE rowid = ?",
                   [(text_key(text), rowid) for rowid, text in rows])


def _move_classified_to_log(db, data_dir):
    """Schema 1 to 2: copy the store's logged sentences into the log file (oldest first,
    so the newest keep the highest ids). The log commits before the store drops its
    table; a crash in between copies again next time, and reading folds the repeats."""
    rows = db.execute("SELECT text, version, classified_at FROM classified"
                      " ORDER BY classified_at").fetchall()   # at most LOG_KEEP rows
    rows = [(text_key(text), text, version, at) for text, version, at in rows]  # as today
    if rows:
        log = ClassifiedLog(data_dir)
        try:
            log.append_rows(rows)
        finally:
            log.close()


class ExampleStore:
    """The SQLite store under ``data_dir``; safe to use from several processes."""

    def __init__(self, data_dir):
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / STORE_FILE
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            self._migrate(db)

    def _connect(self):
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA synchronous=FULL")   # a 2xx means the row survives power loss
        return closing(db)

    @contextmanager
    def transaction(self):
        """A connection inside ``BEGIN IMMEDIATE`` … ``COMMIT`` (rolled back on error)."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _migrate(self, db):
        _migrate(db, MIGRATIONS, self.data_dir)

    def schema_version(self):
        """The schema version of the file on disk."""
        with self._connect() as db:
            return db.execute("PRAGMA user_version").fetchone()[0]

    # -- examples and corrections ---------------------------------------------------
    def add(self, examples, kind="example", source="api", added_by=None):
        """Store ``examples`` (Example objects) in one transaction; returns their ids."""
        stamp, ids = now(), []
        with self.transaction() as db:
            for e in examples:
                meta = {k: v for k, v in e.meta.items() if k != "conflict"}
                cursor = db.execute(
                    "INSERT INTO examples (key, text, labels, kind, source, added_by, added_at,"
                    " conflict, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (text_key(e.text), e.text, json.dumps(list(dict.fromkeys(e.labels))),
                     kind, source, added_by, stamp, e.meta.get("conflict"),
                     json.dumps(meta, ensure_ascii=False)))
                ids.append(cursor.lastrowid)
        return ids

    def labels_by_key(self):
        """``text_key -> labels`` of every stored sentence, the latest entry winning."""
        with self._connect() as db:
            rows = db.execute(f"SELECT key, labels FROM examples WHERE {LIVE} ORDER BY id"
                              ).fetchall()
        return {key: tuple(json.loads(labels)) for key, labels in rows}

    def training_examples(self):
        """Stored sentences as Examples, one per distinct text: the latest example or
        correction of it. Rows without a conflict are grouped as ``user:<source>``."""
        with self._connect() as db:
            rows = db.execute("SELECT id, text, labels, kind, source, conflict FROM examples"
                              f" WHERE {LIVE} ORDER BY id").fetchall()
        latest = {}
        for row_id, text, labels, kind, source, conflict in rows:
            latest[text_key(text)] = Example(
                text=text, labels=tuple(json.loads(labels)), where=f"store:{row_id}",
                meta={"id": f"store-{row_id}", "conflict": conflict or f"user:{source}",
                      "kind": kind})
        return list(latest.values())

    def counts(self):
        """How many examples and corrections are stored."""
        with self._connect() as db:
            rows = db.execute(f"SELECT kind, COUNT(*) FROM examples WHERE {LIVE}"
                              " GROUP BY kind").fetchall()
        return {"example": 0, "correction": 0, **dict(rows)}

    def rows(self, offset=0, limit=None):
        """``(total, rows)``: the stored rows still in use, oldest first, as dicts with
        ``EXPORT_FIELDS`` (labels as a list) and the row's other fields under ``meta``;
        ``limit`` rows from ``offset`` (all when None)."""
        with self._connect() as db:
            total = db.execute(f"SELECT COUNT(*) FROM examples WHERE {LIVE}").fetchone()[0]
            cursor = db.execute(
                f"SELECT {', '.join(EXPORT_FIELDS)}, meta FROM examples WHERE {LIVE}"
                " ORDER BY id LIMIT ? OFFSET ?", (-1 if limit is None else limit, offset))
            rows = [_row_dict(row) for row in cursor]
        return total, rows

    def delete(self, row_id, deleted_by=None):
        """Mark stored row ``row_id`` deleted (training no longer sees it; an earlier
        reading of the same sentence, if any, is the one in use again) and return it.
        KeyError when there is no such row, ValueError when it is already deleted."""
        with self.transaction() as db:
            row = db.execute(f"SELECT {', '.join(EXPORT_FIELDS)}, meta, deleted_at FROM"
                             " examples WHERE id = ?", (row_id,)).fetchone()
            if row is None:
                raise KeyError(f"no stored example with id {row_id}")
            if row[-1] is not None:
                raise ValueError(f"example {row_id} was already deleted at {row[-1]}")
            stamp = now()
            db.execute("UPDATE examples SET deleted_at = ?, deleted_by = ? WHERE id = ?",
                       (stamp, deleted_by, row_id))
        return dict(_row_dict(row[:-1]), deleted_at=stamp, deleted_by=deleted_by)

    # -- classified sentences, kept only when logging is switched on -----------------
    def unlabelled(self, limit=5000):
        """Recently classified sentences (from the log file) that no stored example labels
        yet, newest first, each once; none when nothing was ever logged."""
        log_path = self.data_dir / LOG_FILE
        if not log_path.is_file():   # ATTACH would create it
            return []
        with self._connect() as db:
            db.execute("ATTACH DATABASE ? AS log", (str(log_path),))
            if db.execute("SELECT 1 FROM log.sqlite_master WHERE name = 'classified'"
                          ).fetchone() is None:   # a log file still being created
                return []
            rows = db.execute(
                "SELECT c.key, c.text FROM log.classified c WHERE NOT EXISTS (SELECT 1 FROM"
                " main.examples e WHERE e.key = c.key AND e.deleted_at IS NULL)"
                " ORDER BY c.id DESC")
            newest = {}   # key -> text, stopping at ``limit`` distinct sentences
            for key, text in rows:
                newest.setdefault(key, text)
                if len(newest) >= limit:
                    break
            return list(newest.values())

    # -- training jobs ----------------------------------------------------------------
    def create_job(self, job_id, force=False, requested_by=None):
        """Record a queued training job."""
        with self.transaction() as db:
            db.execute("INSERT INTO jobs (id, state, force, requested_by, created_at)"
                       " VALUES (?, 'queued', ?, ?, ?)", (job_id, int(force), requested_by,
                                                          now()))

    def update_job(self, job_id, **fields):
        """Set fields of a job; ``result`` is stored as JSON."""
        if "result" in fields:
            fields["result"] = json.dumps(fields["result"])
        names = ", ".join(f"{name} = ?" for name in fields)
        with self.transaction() as db:
            cursor = db.execute(f"UPDATE jobs SET {names} WHERE id = ?",
                                (*fields.values(), job_id))
            if cursor.rowcount != 1:
                raise KeyError(f"no training job '{job_id}' in {self.path}")

    def job(self, job_id):
        """A job as a dict, or None."""
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            return None
        job = dict(row)
        job["force"] = bool(job["force"])
        job["result"] = json.loads(job["result"]) if job["result"] else None
        return job

    def job_counts(self):
        """How many training jobs are in each state."""
        with self._connect() as db:
            return dict(db.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state"))

    def unfinished_jobs(self):
        """Ids of jobs still marked queued or running."""
        with self._connect() as db:
            return [row[0] for row in db.execute(
                "SELECT id FROM jobs WHERE state IN ('queued', 'running')")]

    def integrity(self):
        """SQLite's own integrity check: ``"ok"`` when the file is sound."""
        with self._connect() as db:
            return db.execute("PRAGMA integrity_check").fetchone()[0]


def _row_dict(row):
    """A stored row (``EXPORT_FIELDS`` then ``meta``) as a JSON-ready dict."""
    record = dict(zip(EXPORT_FIELDS, row))
    record["labels"] = json.loads(record["labels"])
    meta = json.loads(row[len(EXPORT_FIELDS)] or "{}")
    if meta:
        record["meta"] = meta
    return record


class ClassifiedLog:
    """The classified-sentence log under ``data_dir`` (its own SQLite file, WAL): the
    newest ``keep`` sentences logged, repeats included. One connection per object: open
    it in the thread (and process) that uses it."""

    #: Pruning's two statements: the newest id, then a range delete below a threshold;
    #: both walk the rowid b-tree, neither scans the table.
    NEWEST = "SELECT MAX(id) FROM classified"
    PRUNE = "DELETE FROM classified WHERE id <= ?"

    def __init__(self, data_dir, keep=LOG_KEEP):
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / LOG_FILE
        self.keep = keep
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # Not FULL: these rows are a best-effort pool of review candidates (a full queue
        # already drops some), so a power cut may cost the last batches but never
        # corrupts the file (WAL). The example store keeps FULL on its own file.
        self._db.execute("PRAGMA synchronous=NORMAL")
        _migrate(self._db, LOG_MIGRATIONS, self.data_dir)

    def close(self):
        """Close the connection."""
        self._db.close()

    def append(self, sentences, version, stamp=None):
        """Log ``sentences`` classified by model ``version`` in one transaction."""
        stamp = stamp or now()
        self.append_rows([(text_key(s), s, version, stamp) for s in sentences])

    def append_rows(self, rows):
        """Log ``(key, text, version, classified_at)`` rows in one transaction and prune
        down to ``keep``."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany("INSERT INTO classified (key, text, version, classified_at)"
                           " VALUES (?, ?, ?, ?)", rows)
            self._prune(db)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _prune(self, db):
        # MAX(id) is one step down the rowid b-tree and ids are consecutive (rows are only
        # appended, and pruned from the start), so the rows at or below MAX(id) - keep are
        # exactly the ones beyond the newest ``keep``: no COUNT(*) (9 ms at 100,000 rows)
        # and no OFFSET walk (15 ms) to find the threshold.
        newest = self.newest_id(db)
        if newest is not None and newest > self.keep:
            db.execute(self.PRUNE, (newest - self.keep,))

    def newest_id(self, db=None):
        """The id of the newest logged sentence (ids count every sentence ever logged
        here), or None."""
        return (db or self._db).execute(self.NEWEST).fetchone()[0]

    def count(self):
        """How many sentences the log holds."""
        return self._db.execute("SELECT COUNT(*) FROM classified").fetchone()[0]
