"""The served model, and how a newly active version replaces it without a restart.

Each worker process checks the ``ACTIVE`` pointer before it serves its first request
(a worker the master forks again after a crash starts with the version preloaded at
start-up, which may since have been rolled back) and then about once a second from a
background thread. A changed pointer is loaded completely (hashes, libraries, trusted
types) before one reference is swapped, so a request that already took the old model
finishes on it; a version that fails to load is reported and the old one keeps serving.
A pointer that cannot be read is read again at the next look, never taken as seen; a
version that fails to load is tried again after 1 s, then 2, 4 ... up to 60 s (its
files may be being restored), so no worker stays on an older version for good.
"""
import logging
import os
import threading
import time
from pathlib import Path

from train.model import versions

log = logging.getLogger("casus.model")


class ModelHolder:
    """Holds the model a worker serves; ``root=None`` serves a given model, unwatched."""

    def __init__(self, root=None, model=None, interval=1.0, clock=time.monotonic):
        self.root = Path(root) if root is not None else None
        self.model = model
        self.interval = interval
        self.error = None        # why the active version is not the one served, if it isn't
        self._pointer = None     # (inode, mtime) of ACTIVE when last looked at
        self._retry_at = None    # when (``clock()``) to try again a version that failed
        self._clock = clock
        self._backoff = 1.0
        self._watcher_pid = None
        self._locks = {}         # pid -> its lock: made in the process that uses it

    def load_initial(self):
        """Load the active version; if it is damaged, the most recent version that was
        active before and still loads. Half-written versions are reported, never loaded."""
        for name in versions.incomplete_versions(self.root):
            log.warning("ignoring half-written model directory %s/%s (a crash while "
                        "saving; safe to delete)", self.root, name)
        self._pointer = self._pointer_state()
        active = None
        try:
            active = versions.active_version(self.root)
            self.model = versions.load_model(active, self.root)
            return
        except Exception as exc:   # any failure, not only the checks, falls back
            self.error = f"active version {active or '(unreadable ACTIVE)'} cannot be " \
                         f"served: {exc}"
            log.error(self.error)
        for version in versions.activation_history(self.root):
            if version == active:
                continue
            try:
                self.model = versions.load_model(version, self.root)
            except Exception as exc:
                log.error("earlier version %s cannot be served either: %s", version, exc)
                continue
            log.warning("serving %s, the last good version, instead", version)
            return

    def _pointer_state(self):
        try:
            stat = (self.root / versions.ACTIVE_FILE).stat()
        except OSError:
            return None
        return stat.st_ino, stat.st_mtime_ns

    def _lock(self):
        """This process's lock. A lock made before gunicorn forks and gevent patches
        would be a real one shared by greenlets, so each process makes its own;
        ``setdefault`` keeps one if two threads race here."""
        return self._locks.setdefault(os.getpid(), threading.Lock())

    def refresh(self):
        """Check the pointer once; load and swap in a newly active version. Returns True
        when the served model changed."""
        with self._lock():
            state = self._pointer_state()
            retry = self._retry_at is not None and self._clock() >= self._retry_at
            if self.root is None or state is None or (state == self._pointer and not retry):
                return False
            try:
                active = versions.active_version(self.root)
            except Exception as exc:   # unreadable now: look again next time
                self.error = f"the active version cannot be read: {exc}"
                log.error("%s; still serving %s", self.error,
                          self.model.version if self.model else "nothing")
                return False
            if state != self._pointer:
                self._backoff = 1.0
            self._pointer = state
            if self.model is not None and active == self.model.version:
                self.error, self._retry_at, self._backoff = None, None, 1.0
                return False
            started = time.perf_counter()
            try:
                model = versions.load_model(active, self.root)
            except Exception as exc:   # damaged, or any other failure: keep serving
                self.error = f"active version {active} cannot be served: {exc}"
                self._retry_at = self._clock() + self._backoff
                log.error("%s; still serving %s; trying again in %g s", self.error,
                          self.model.version if self.model else "nothing", self._backoff)
                self._backoff = min(self._backoff * 2, 60.0)
                return False
            previous, self.model, self.error = self.model, model, None
            self._retry_at, self._backoff = None, 1.0
            log.warning("pid %d now serves %s (was %s; loaded in %.1fs)", os.getpid(),
                        model.version, previous.version if previous else "nothing",
                        time.perf_counter() - started)
            return True

    def watch(self):
        """Before this process serves its first request: serve the active version, then
        start its watcher thread (after a fork the parent's is gone)."""
        pid = os.getpid()
        if self.root is None or self.interval <= 0 or self._watcher_pid == pid:
            return
        with self._lock():
            if self._watcher_pid == pid:
                return
            self._pointer = None    # what the parent saw says nothing of ACTIVE now
        self.refresh()
        with self._lock():
            if self._watcher_pid == pid:
                return
            self._watcher_pid = pid
        threading.Thread(target=self._watch_loop, name="casus-model-watcher",
                         daemon=True).start()

    def _watch_loop(self):
        while True:
            time.sleep(self.interval)
            try:
                self.refresh()
            except Exception:   # a watcher that dies would silently stop all swaps
                log.exception("model refresh failed; will retry")
