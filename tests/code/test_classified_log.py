"""Classified-sentence logging off the request path: nothing lost under normal operation,
a full queue drops instead of waiting, each process writes its own queue, exit flushes."""
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from service import classified_log
from service.classified_log import ClassifiedLogger
from train.retraining.store import LOG_FILE, ExampleStore

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 30   # seconds; every wait below ends on an event long before this


def sentence(n):
    """A distinct sentence per ``n`` (letters, since text keys fold digits)."""
    return f"Sentence {chr(65 + n // 676 % 26)}{chr(65 + n // 26 % 26)}{chr(65 + n % 26)}."


@pytest.fixture
def logger(tmp_path):
    """A logger on a scratch data directory, stopped afterwards."""
    logger = ClassifiedLogger(tmp_path)
    yield logger
    assert logger.close(DEADLINE)


class BlockingLog:
    """Stands in for ClassifiedLog: records rows, and its first write waits for
    ``release`` (so a test can hold the writer busy and fill the queue)."""
    entered, release, rows = threading.Event(), threading.Event(), []

    def __init__(self, data_dir, keep):
        pass

    def append_rows(self, rows):
        type(self).entered.set()
        assert type(self).release.wait(DEADLINE)
        type(self).rows.extend(rows)

    def close(self):
        pass


@pytest.fixture
def blocking_log(monkeypatch):
    """BlockingLog, fresh, in place of the real log file."""
    fresh = type("FreshBlockingLog", (BlockingLog,),
                 {"entered": threading.Event(), "release": threading.Event(), "rows": []})
    monkeypatch.setattr(classified_log, "ClassifiedLog", fresh)
    yield fresh
    fresh.release.set()


def test_every_sentence_submitted_is_written_by_flush(logger, tmp_path):
    def client(first):
        for n in range(first, first + 150, 3):
            assert logger.submit([sentence(n), sentence(n + 1), sentence(n + 2)], "v1")

    clients = [threading.Thread(target=client, args=(150 * i,)) for i in range(8)]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join(DEADLINE)
    assert logger.flush(DEADLINE)
    assert sorted(ExampleStore(tmp_path).unlabelled(limit=10_000)) == \
        sorted(sentence(n) for n in range(1200))
    assert logger.counts == {"queued": 1200, "written": 1200, "dropped": 0, "failed": 0}


def test_a_full_queue_drops_and_never_waits(tmp_path, blocking_log):
    logger = ClassifiedLogger(tmp_path, capacity=100)
    assert logger.submit(["a" * 60], "v1")
    assert blocking_log.entered.wait(DEADLINE)        # the writer is now stuck on it
    assert logger.submit(["b" * 60], "v1")           # queued: 60 of 100 characters
    answers = []
    third = threading.Thread(target=lambda: answers.append(logger.submit(["c" * 60], "v1")))
    third.start()
    third.join(DEADLINE)
    assert not third.is_alive() and answers == [False]   # over capacity: dropped at once
    assert logger.counts["dropped"] == 1
    blocking_log.release.set()
    assert logger.flush(DEADLINE)
    assert [row[1] for row in blocking_log.rows] == ["a" * 60, "b" * 60]
    assert logger.submit(["d" * 60], "v1")           # room again once written
    assert logger.close(DEADLINE)
    assert [row[1] for row in blocking_log.rows] == ["a" * 60, "b" * 60, "d" * 60]
    assert logger.counts == {"queued": 3, "written": 3, "dropped": 1, "failed": 0}


def test_a_failed_write_is_counted_and_the_writer_goes_on(logger, tmp_path, monkeypatch):
    real = classified_log.ClassifiedLog

    class FailsOnce(real):
        failures = [OSError("disk full")]

        def append_rows(self, rows):
            if self.failures:
                raise self.failures.pop()
            super().append_rows(rows)

    monkeypatch.setattr(classified_log, "ClassifiedLog", FailsOnce)
    assert logger.submit(["Lost to the full disk."], "v1")
    assert logger.flush(DEADLINE)
    assert logger.submit(["Written after it."], "v1")
    assert logger.flush(DEADLINE)
    assert logger.counts["failed"] == 1 and logger.counts["written"] == 1
    assert ExampleStore(tmp_path).unlabelled() == ["Written after it."]


def test_each_forked_process_writes_its_own_queue_and_exit_flushes_it(tmp_path):
    """As under gunicorn: the parent's writer thread does not survive a fork, so the
    child starts its own; neither process flushes by hand, exit does it."""
    script = textwrap.dedent(f"""
        import os, sys
        from service.classified_log import ClassifiedLogger
        logger = ClassifiedLogger({str(tmp_path)!r})
        logger.submit(["Logged by the parent before the fork."], "v1")
        pid = os.fork()
        who = "child" if pid == 0 else "parent"
        logger.submit([f"Logged by the {{who}} after the fork." for _ in range(3)], "v1")
        if pid:
            assert os.waitpid(pid, 0)[1] == 0
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, timeout=DEADLINE,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert sorted(ExampleStore(tmp_path).unlabelled()) == [
        "Logged by the child after the fork.", "Logged by the parent after the fork.",
        "Logged by the parent before the fork."]


def test_classify_queues_every_sentence_of_the_request(admin_app, tmp_path):
    admin_app.config["LOG_CLASSIFIED"] = True
    text = "They shelled the port. We are ready for talks. The weather was mild."
    assert admin_app.test_client().post("/classify", json={"text": text}).status_code == 200
    logger = admin_app.extensions["casus_classified_log"]
    assert logger.close(DEADLINE)
    assert ExampleStore(admin_app.config["DATA_DIR"]).unlabelled() == [
        "The weather was mild.", "We are ready for talks.", "They shelled the port."]


def test_no_logger_and_no_log_file_while_logging_is_off(admin_app):
    assert admin_app.test_client().post("/classify", json={"text": "Talks now."}
                                        ).status_code == 200
    assert "casus_classified_log" not in admin_app.extensions
    assert not (Path(admin_app.config["DATA_DIR"]) / LOG_FILE).exists()
