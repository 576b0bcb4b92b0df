"""Training jobs: one at a time, in a child process, surviving nothing but recorded.

A lock file held with ``flock`` says a training is running. The kernel drops it when
the process holding it ends in any way, SIGKILL included, so a job still marked queued
or running while nobody holds the lock is known to have died; it is marked failed the
next time anyone looks. Training writes its version under a temporary name and only the
gate moves ``ACTIVE``, so a killed trainer leaves the served model untouched.
"""
import fcntl
import os
import subprocess
import sys
import threading
import time
import traceback
import uuid
from contextlib import contextmanager
from pathlib import Path

from .store import now

LOCK_FILE = "train.lock"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
DIED = ("the training process ended without finishing (killed or crashed); "
        "nothing was promoted and the active version is unchanged")


class TrainingBusy(Exception):
    """Another training is running."""


def _acquire(data_dir, attempts=5):
    """An fd holding the training lock; a few quick retries ride out someone's check."""
    fd = os.open(Path(data_dir) / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    for attempt in range(attempts):
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if attempt + 1 < attempts:
                time.sleep(0.02)
    os.close(fd)
    raise TrainingBusy("a training job is already running; wait for it to finish "
                       "(GET /train/<job> or `python -m train models`)")


@contextmanager
def training_lock(store):
    """Hold the training lock for a block (the command line's training run)."""
    fd = _acquire(store.data_dir)
    try:
        fail_dead_jobs_locked(store)
        yield
    finally:
        os.close(fd)


def fail_dead_jobs_locked(store):
    """With the lock held: any job still queued or running has died; record that."""
    for job_id in store.unfinished_jobs():
        store.update_job(job_id, state="failed", error=DIED, finished_at=now())


def fail_dead_jobs(store):
    """Mark dead jobs failed if no training holds the lock; a no-op while one does."""
    try:
        fd = _acquire(store.data_dir, attempts=1)
    except TrainingBusy:
        return
    try:
        fail_dead_jobs_locked(store)
    finally:
        os.close(fd)


def start_job(store, cli_args=(), force=False, requested_by=None):
    """Queue a training job and start its process; returns the job id.

    The child inherits the lock (same open file), so it stays held exactly as long as
    the child lives. Raises TrainingBusy when a job is already running.
    """
    fd = _acquire(store.data_dir)
    try:
        fail_dead_jobs_locked(store)
        job_id = uuid.uuid4().hex[:12]
        store.create_job(job_id, force=force, requested_by=requested_by)
        logs = store.data_dir / "jobs"
        logs.mkdir(exist_ok=True)
        command = [sys.executable, "-m", "train", *cli_args, "--data-dir",
                   str(store.data_dir), *(["--force"] if force else []),
                   "job", job_id, "--lock-fd", str(fd)]
        with open(logs / f"{job_id}.log", "ab") as log:
            process = subprocess.Popen(command, cwd=PROJECT_ROOT, pass_fds=(fd,),
                                       env={**os.environ, "PYTHONUNBUFFERED": "1"},
                                       stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        store.update_job(job_id, pid=process.pid)
        # Reap the child when it ends so it never lingers as a zombie of this worker.
        threading.Thread(target=process.wait, daemon=True).start()
        return job_id
    finally:
        os.close(fd)


def run_job(store, job_id, train, lock_fd=None):
    """The child's side: mark the job running, call ``train()`` (which returns the gate's
    decision) and record the outcome. Without an inherited ``lock_fd`` it takes the lock.
    """
    if lock_fd is None:
        lock_fd = _acquire(store.data_dir)
    else:
        os.fstat(lock_fd)   # fails loudly if the lock was not handed over
    store.update_job(job_id, state="running", started_at=now(), pid=os.getpid())
    try:
        result = train()
    except BaseException as exc:
        traceback.print_exc()
        store.update_job(job_id, state="failed", finished_at=now(),
                         error=f"{type(exc).__name__}: {exc}")
        return 1
    state = "succeeded" if result["promoted"] else "rejected"
    store.update_job(job_id, state=state, finished_at=now(), result=result)
    return 0


def job_status(store, job_id):
    """A job's record (after recording its death if it died), or None."""
    job = store.job(job_id)
    if job and job["state"] in ("queued", "running"):
        fail_dead_jobs(store)
        job = store.job(job_id)
    return job
