"""The example store: durable, migrated by version, latest reading wins."""
import sqlite3

import pytest

from train.pipeline.records import Example
from train.retraining import store as store_module
from train.retraining.store import MIGRATIONS, ClassifiedLog, ExampleStore


def example(text, labels=(), **meta):
    return Example(text=text, labels=tuple(labels), where="test", meta=meta)


def test_schema_is_created_in_wal_mode_at_the_current_version(tmp_path):
    store = ExampleStore(tmp_path)
    assert store.schema_version() == len(MIGRATIONS)
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.integrity() == "ok"


def test_an_added_example_is_readable_by_a_new_connection_at_once(tmp_path):
    ids = ExampleStore(tmp_path).add([example("They shelled the port.", ["accusation"],
                                              conflict="x")], added_by="ana")
    with sqlite3.connect(tmp_path / store_module.STORE_FILE) as db:
        row = db.execute("SELECT text, labels, added_by, conflict FROM examples WHERE id=?",
                         ids).fetchone()
    assert row == ("They shelled the port.", '["accusation"]', "ana", "x")


def test_the_latest_reading_of_a_sentence_wins(tmp_path):
    store = ExampleStore(tmp_path)
    store.add([example("We will talk.", ["accusation"])])
    store.add([example("we  will TALK.", ["negotiation"])], kind="correction")
    store.add([example("Another one.", [])])
    examples = store.training_examples()
    assert [(e.text, e.labels) for e in examples] == [("we  will TALK.", ("negotiation",)),
                                                        ("Another one.", ())]
    assert examples[0].meta["conflict"] == "user:api"
    assert store.counts() == {"example": 2, "correction": 1}


def test_reopening_migrates_forward_and_keeps_rows(tmp_path, monkeypatch):
    ExampleStore(tmp_path).add([example("Kept across the migration.", ["negotiation"])])
    monkeypatch.setattr(store_module, "MIGRATIONS",
                        [*MIGRATIONS, ("ALTER TABLE examples ADD COLUMN reviewer TEXT",)])
    store = ExampleStore(tmp_path)
    assert store.schema_version() == len(MIGRATIONS) + 1
    assert [e.text for e in store.training_examples()] == ["Kept across the migration."]
    with sqlite3.connect(store.path) as db:
        assert "reviewer" in [c[1] for c in db.execute("PRAGMA table_info(examples)")]


def test_a_failed_batch_stores_nothing(tmp_path):
    store = ExampleStore(tmp_path)
    with pytest.raises(TypeError):
        store.add([example("Fine sentence."), example("Bad labels.", [object()])])
    assert store.training_examples() == []


def test_unlabelled_pool_skips_sentences_that_are_now_labelled(tmp_path):
    store = ExampleStore(tmp_path)
    assert store.unlabelled() == []   # nothing logged yet, and reading creates no log
    assert not (tmp_path / store_module.LOG_FILE).exists()
    ClassifiedLog(tmp_path).append(["First seen.", "Second seen.", "Third seen."], "v1")
    store.add([example("second SEEN.", ["none"])])
    assert sorted(store.unlabelled()) == ["First seen.", "Third seen."]


def test_unlabelled_pool_is_newest_first_each_sentence_once(tmp_path):
    log = ClassifiedLog(tmp_path)
    log.append(["Old one.", "Seen twice."], "v1")
    log.append(["Middle one.", "seen  TWICE."], "v1")   # the same key, logged again
    log.append(["New one."], "v2")
    store = ExampleStore(tmp_path)
    assert store.unlabelled() == ["New one.", "seen  TWICE.", "Middle one.", "Old one."]
    assert store.unlabelled(limit=2) == ["New one.", "seen  TWICE."]


def test_the_log_keeps_the_newest_sentences_up_to_its_cap(tmp_path):
    log = ClassifiedLog(tmp_path, keep=50)
    for start in range(0, 130, 13):   # batches that cross the cap at odd places
        log.append([f"Sentence {chr(65 + n // 26)}{chr(65 + n % 26)}."
                    for n in range(start, start + 13)], "v1")
        assert log.count() == min(start + 13, 50)
    kept = ExampleStore(tmp_path).unlabelled()
    assert kept == [f"Sentence {chr(65 + n // 26)}{chr(65 + n % 26)}."
                    for n in reversed(range(80, 130))]


def test_pruning_walks_the_rowid_index_and_never_scans_the_log(tmp_path):
    log = ClassifiedLog(tmp_path, keep=10)
    log.append([f"Sentence number {n}." for n in range(20)], "v1")
    with sqlite3.connect(log.path) as db:
        for statement, args in ((ClassifiedLog.NEWEST, ()), (ClassifiedLog.PRUNE, (5,))):
            plan = [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {statement}", args)]
            assert plan and all(step.startswith("SEARCH classified") for step in plan), plan
        # what it replaced: a full scan plus a sort of the whole table on every request
        old = ("DELETE FROM classified WHERE key NOT IN (SELECT key FROM classified"
               " ORDER BY classified_at DESC LIMIT 10)")
        assert "SCAN classified" in [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {old}")]


def test_the_log_is_its_own_file_so_examples_keep_full_sync(tmp_path):
    store, log = ExampleStore(tmp_path), ClassifiedLog(tmp_path)
    assert log.path != store.path
    with store._connect() as db:
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2   # FULL
        assert db.execute("SELECT name FROM sqlite_master WHERE name = 'classified'"
                          ).fetchone() is None
    assert log._db.execute("PRAGMA synchronous").fetchone()[0] == 1   # NORMAL
    assert log._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_sentences_logged_in_the_store_move_to_the_log_file(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS[:1])   # schema 1
    ExampleStore(tmp_path)
    with sqlite3.connect(tmp_path / store_module.STORE_FILE) as db:
        db.executemany("INSERT INTO classified VALUES (?, ?, 'v0', ?)",
                       [("older one.", "Older one.", "2026-11-01T00:00:00"),
                        ("we do n't .", "We do n't .", "2026-11-02T00:00:00")])
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS)
    store = ExampleStore(tmp_path)
    assert store.schema_version() == len(MIGRATIONS)
    assert store.unlabelled() == ["We do n't .", "Older one."]
    log = ClassifiedLog(tmp_path)           # keyed as the model reads the text today
    assert {k for (k,) in log._db.execute("SELECT key FROM classified")} == \
        {"older one.", "we don't."}
    with store._connect() as db:
        assert db.execute("SELECT name FROM sqlite_master WHERE name = 'classified'"
                          ).fetchone() is None


def test_jobs_round_trip(tmp_path):
    store = ExampleStore(tmp_path)
    store.create_job("j1", force=True, requested_by="ana")
    store.update_job("j1", state="succeeded", result={"promoted": True})
    job = store.job("j1")
    assert (job["state"], job["force"], job["result"]) == ("succeeded", True, {"promoted": True})
    assert store.job("nope") is None and store.unfinished_jobs() == []
    with pytest.raises(KeyError):   # a job recorded elsewhere must not vanish silently
        store.update_job("nope", state="running")


def test_sentences_stored_before_normalisation_grew_are_keyed_as_the_model_reads_them(
        tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS[:2])   # schema 2
    ExampleStore(tmp_path).add([example("We do n't accept it .", [])])
    with sqlite3.connect(tmp_path / store_module.STORE_FILE) as db:   # the old key
        db.execute("UPDATE examples SET key = 'we do n''t accept it .'")
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS)
    store = ExampleStore(tmp_path)
    assert store.schema_version() == len(MIGRATIONS)
    assert set(store.labels_by_key()) == {"we don't accept it."}


def test_a_deleted_row_is_kept_marked_and_the_earlier_reading_is_back(tmp_path):
    store = ExampleStore(tmp_path)
    store.add([example("We will talk.", ["negotiation"])], added_by="ana")
    (fix,) = store.add([example("We will talk.", [])], kind="correction")
    deleted = store.delete(fix, deleted_by="ben")
    assert (deleted["id"], deleted["kind"], deleted["deleted_by"]) == (fix, "correction", "ben")
    assert [e.labels for e in store.training_examples()] == [("negotiation",)]
    assert store.counts() == {"example": 1, "correction": 0}
    with sqlite3.connect(store.path) as db:   # recorded, not erased
        assert db.execute("SELECT deleted_by, deleted_at IS NOT NULL FROM examples WHERE id=?",
                          (fix,)).fetchone() == ("ben", 1)
    with pytest.raises(ValueError, match="already deleted"):
        store.delete(fix)
    with pytest.raises(KeyError):
        store.delete(fix + 100)


def test_rows_pages_through_the_rows_in_use_oldest_first(tmp_path):
    store = ExampleStore(tmp_path)
    ids = store.add([example(f"Sentence {n}.", ["negotiation"] if n % 2 else [],
                             conflict="c", speaker_role="envoy") for n in range(5)])
    store.delete(ids[1])
    total, page = store.rows(offset=1, limit=2)
    assert total == 4
    assert [r["id"] for r in page] == [ids[2], ids[3]]
    assert page[0] == {"id": ids[2], "text": "Sentence 2.", "labels": [], "kind": "example",
                       "source": "api", "added_by": None, "added_at": page[0]["added_at"],
                       "conflict": "c", "meta": {"speaker_role": "envoy"}}
    assert [r["id"] for r in store.rows()[1]] == [ids[0], *ids[2:]]
