"""The example store: durable, migrated by version, latest reading wins."""
import sqlite3

import pytest

from train import store as store_module
from train.records import Example
from train.store import MIGRATIONS, ExampleStore


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
    store.log_classified(["First seen.", "Second seen.", "Third seen."], "v1")
    store.add([example("second SEEN.", ["none"])])
    assert sorted(store.unlabelled()) == ["First seen.", "Third seen."]


def test_jobs_round_trip(tmp_path):
    store = ExampleStore(tmp_path)
    store.create_job("j1", force=True, requested_by="ana")
    store.update_job("j1", state="succeeded", result={"promoted": True})
    job = store.job("j1")
    assert (job["state"], job["force"], job["result"]) == ("succeeded", True, {"promoted": True})
    assert store.job("nope") is None and store.unfinished_jobs() == []
    with pytest.raises(KeyError):   # a job recorded elsewhere must not vanish silently
        store.update_job("nope", state="running")
