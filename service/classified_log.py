"""Classified-sentence logging (``CASUS_LOG_CLASSIFIED=1``) off the request path.

A request only puts its sentences on a bounded in-memory queue; one background thread
per worker process writes them to the log file (``train.retraining.store.ClassifiedLog``) in
batches, one transaction each. Writing in the request instead (a FULL commit and a
``DELETE … NOT IN`` over the whole table in the example store) took single-sentence
/classify from 1,258 to 1.2 requests/s at 8 clients with 100,000 logged sentences;
``make bench`` (``classified_log``) measures the cost now.

The queue is bounded in characters: when it is full, sentences are dropped and counted,
never waited for, because a review candidate is worth less than an answer. What is
queued is written at exit (best effort, ``EXIT_FLUSH_SECONDS``); a killed worker loses
its queue. Only ``threading`` and ``queue`` are used, so a gevent worker class, which
patches both, turns the writer into a greenlet without changes (a transaction then holds
the worker's loop while it runs: about 1 ms for the 50 sentences a worker gathers in
0.1 s at full load).
"""
import atexit
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from flask import current_app

from train.model.normalise import text_key
from train.retraining.store import LOG_KEEP, ClassifiedLog

log = logging.getLogger("casus.classified_log")

#: Characters one worker may hold queued: four bodies of the largest size (1 MiB), while
#: the writer drains about 68,000 sentences (8 MB of text) a second.
CAPACITY_CHARS = 4_000_000
#: Most sentences a transaction takes: a sentence costs 15 µs in batches of 100 to 1,000
#: at 100,000 logged (46 µs alone, 17 µs at 5,000), and a batch of 1,000 holds the log's
#: write lock for 15 ms.
BATCH = 1000
#: How long the writer lets sentences gather after the first one arrives, so a request
#: never wakes it: waking for each sentence cost the writer 57 µs of CPU per request,
#: gathering for 0.1 s 27 µs (in process, 100,000 logged). A flush cuts it short.
INTERVAL = 0.1
#: How long exit waits for the queue to be written (gunicorn's graceful timeout is 30 s).
EXIT_FLUSH_SECONDS = 5.0

_create_lock = threading.Lock()


@dataclass
class _Signal:
    """A marker in the queue: set once everything queued before it is written."""
    done: threading.Event = field(default_factory=threading.Event)
    stop: bool = False


class ClassifiedLogger:
    """A per-process queue of classified sentences and the thread that writes them to
    ``data_dir``'s log. Everything starts on first use in each process, so a gunicorn
    worker forked from a preloaded master gets its own queue, thread and connection."""

    def __init__(self, data_dir, capacity=CAPACITY_CHARS, batch=BATCH, interval=INTERVAL,
                 keep=LOG_KEEP):
        self.data_dir = data_dir
        self.capacity, self.batch, self.interval, self.keep = capacity, batch, interval, keep
        self._pid = None
        self._start_lock = threading.Lock()
        self._reset()

    def _reset(self):
        self._queue = queue.Queue()   # bounded below, in characters, not items
        self._hurry = threading.Event()   # a flush is waiting: write without gathering
        self._lock = threading.Lock()
        self._queued_chars = 0
        self._dropping = False
        self._failing = False
        self._log = None              # the writer thread's ClassifiedLog
        self.counts = {"queued": 0, "written": 0, "dropped": 0, "failed": 0}

    def _ensure_started(self):
        if self._pid == os.getpid():
            return
        with self._start_lock:
            if self._pid == os.getpid():
                return
            self._reset()   # a parent's queue and locks are not this process's
            threading.Thread(target=self._run, name="casus-classified-log",
                             daemon=True).start()
            self._pid = os.getpid()
        atexit.register(self.close, EXIT_FLUSH_SECONDS)

    def submit(self, sentences, version):
        """Queue ``sentences`` classified by ``version`` for the log; never waits. Returns
        False, and counts them as dropped, when the queue is full."""
        self._ensure_started()
        chars = sum(map(len, sentences))
        with self._lock:
            full = self._queued_chars + chars > self.capacity
            if full:
                self.counts["dropped"] += len(sentences)
                warn, self._dropping = not self._dropping, True
            else:
                self._queued_chars += chars
                self.counts["queued"] += len(sentences)
                self._dropping = False
        if full:
            if warn:
                log.warning("classified-sentence queue full (%d characters): dropping "
                            "sentences until the writer catches up", self.capacity)
            return False
        self._queue.put((sentences, version, time.time(), chars))   # formatted later
        return True

    def flush(self, timeout=10.0):
        """Wait until everything this process queued before the call is written (or
        counted as failed); True if that happened within ``timeout`` seconds."""
        if self._pid != os.getpid():
            return True   # nothing was queued in this process
        signal = _Signal()
        self._queue.put(signal)
        self._hurry.set()
        return signal.done.wait(timeout)

    def close(self, timeout=10.0):
        """Write what is queued, then stop the writer (a later ``submit`` starts a new
        one); True if that happened within ``timeout`` seconds. Runs at exit."""
        atexit.unregister(self.close)
        if self._pid != os.getpid():
            return True
        signal = _Signal(stop=True)
        self._queue.put(signal)
        self._hurry.set()
        self._pid = None
        return signal.done.wait(timeout)

    # -- the writer thread ----------------------------------------------------------
    def _run(self):
        while True:
            items = [self._queue.get()]   # asleep until there is something to write
            if not isinstance(items[0], _Signal):
                self._hurry.wait(self.interval)   # let a batch gather (see INTERVAL)
            self._hurry.clear()
            while True:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            with self._lock:   # taken off the queue: room for new sentences
                self._queued_chars -= sum(item[3] for item in items
                                          if not isinstance(item, _Signal))
            try:
                if self._write_items(items):
                    return
            except Exception:   # a writer that dies would silently drop everything after
                log.exception("classified-sentence writer failed; going on")
                for item in items:
                    if isinstance(item, _Signal):
                        item.done.set()

    def _write_items(self, items):
        """Write ``items`` in order, ``batch`` sentences a transaction at most, setting
        each signal once what came before it is written; True after a stop signal."""
        rows = []
        for item in items:
            if isinstance(item, _Signal):
                if rows:
                    self._write(rows)
                    rows = []
                item.done.set()
                if item.stop:
                    if self._log is not None:
                        self._log.close()
                    return True
                continue
            sentences, version, seconds, _ = item
            stamp = datetime.fromtimestamp(seconds, timezone.utc).isoformat(
                timespec="microseconds")   # as train.retraining.store.now() writes it
            rows.extend((text_key(s), s, version, stamp) for s in sentences)
            if len(rows) >= self.batch:
                self._write(rows)
                rows = []
        if rows:
            self._write(rows)
        return False

    def _write(self, rows):
        try:
            if self._log is None:
                self._log = ClassifiedLog(self.data_dir, keep=self.keep)
            self._log.append_rows(rows)
        except Exception:   # the disk, a damaged file: never let the writer die
            self.counts["failed"] += len(rows)
            if not self._failing:
                log.exception("could not log %d classified sentences; dropping them "
                              "until a write succeeds", len(rows))
            self._failing = True
            if self._log is not None:
                self._log.close()
                self._log = None   # reopen for the next batch
            return
        self.counts["written"] += len(rows)
        if self._failing:
            log.warning("logging classified sentences works again")
            self._failing = False


def classified_logger():
    """The app's logger for ``DATA_DIR``, made on first use."""
    extensions = current_app.extensions
    if "casus_classified_log" not in extensions:
        with _create_lock:
            if "casus_classified_log" not in extensions:
                extensions["casus_classified_log"] = ClassifiedLogger(
                    current_app.config["DATA_DIR"])
    return extensions["casus_classified_log"]
