"""The labelled-example store: users' examples, corrections, training jobs and (opt-in)
classified sentences, in one SQLite file under the data directory.

Every write is its own committed transaction, so an example is on disk before the call
that added it returns. WAL mode lets the service's workers read while one writes; the
schema carries its version in ``PRAGMA user_version`` and is migrated forward on open.
"""
import json
import os
import sqlite3
from contextlib import closing, contextmanager
from datetime import datetime, timezone
from pathlib import Path

from .normalise import normalise_text
from .records import Example

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1] / "var"
STORE_FILE = "casus.sqlite3"

#: Entry i (a tuple of statements) moves the schema from version i to i + 1; never
#: edit a released one, append a new one.
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
)]


def text_key(text):
    """The identity of a sentence for duplicates, corrections and the test-split guard:
    what the model sees (case, quotes, dashes and digits folded by ``normalise_text``)
    with spacing folded, so a variant the model cannot tell apart counts as the same."""
    return " ".join(normalise_text(text).split())


def now():
    """The current UTC time as an ISO 8601 string (sorts in time order)."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def data_dir_from_env():
    """The data directory: ``CASUS_DATA_DIR`` or ``var/`` in the project."""
    return Path(os.environ.get("CASUS_DATA_DIR", DEFAULT_DATA_DIR))


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
        db.execute("BEGIN IMMEDIATE")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        for number in range(version, len(MIGRATIONS)):
            for statement in MIGRATIONS[number]:
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
        db.execute("COMMIT")

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
            rows = db.execute("SELECT key, labels FROM examples ORDER BY id").fetchall()
        return {key: tuple(json.loads(labels)) for key, labels in rows}

    def training_examples(self):
        """Stored sentences as Examples, one per distinct text: the latest example or
        correction of it. Rows without a conflict are grouped as ``user:<source>``."""
        with self._connect() as db:
            rows = db.execute("SELECT id, text, labels, kind, source, conflict FROM examples"
                              " ORDER BY id").fetchall()
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
            rows = db.execute("SELECT kind, COUNT(*) FROM examples GROUP BY kind").fetchall()
        return {"example": 0, "correction": 0, **dict(rows)}

    # -- classified sentences, kept only when logging is switched on -----------------
    def log_classified(self, sentences, version, keep=100_000):
        """Remember classified sentences (newest kept) as candidates for review."""
        stamp = now()
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO classified (key, text, version, classified_at)"
                           " VALUES (?, ?, ?, ?)",
                           [(text_key(s), s, version, stamp) for s in sentences])
            db.execute("DELETE FROM classified WHERE key NOT IN (SELECT key FROM classified"
                       " ORDER BY classified_at DESC LIMIT ?)", (keep,))

    def unlabelled(self, limit=5000):
        """Recently classified sentences that no stored example labels yet, newest first."""
        with self._connect() as db:
            return [row[0] for row in db.execute(
                "SELECT c.text FROM classified c WHERE NOT EXISTS (SELECT 1 FROM examples e"
                " WHERE e.key = c.key) ORDER BY c.classified_at DESC LIMIT ?",
                (limit,))]

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

    def unfinished_jobs(self):
        """Ids of jobs still marked queued or running."""
        with self._connect() as db:
            return [row[0] for row in db.execute(
                "SELECT id FROM jobs WHERE state IN ('queued', 'running')")]

    def integrity(self):
        """SQLite's own integrity check: ``"ok"`` when the file is sound."""
        with self._connect() as db:
            return db.execute("PRAGMA integrity_check").fetchone()[0]
